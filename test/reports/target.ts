import type { CloudRunTarget } from '../../src/reports/rollout-summary.ts';
import { STABLE } from '../blocks/fixtures.ts';

// Where the fixtures' rollout runs, and the command that would undo it there (the reports' tests share it).

export const TARGET: CloudRunTarget = {
  project: 'openagentsgemini',
  region: 'us-central1',
  cloudRunService: 'control-prod',
};

export const COMMAND = `gcloud run services update-traffic control-prod --region us-central1 --project openagentsgemini --to-revisions ${STABLE}=100`;
