import { formatDuration } from '../../config/duration.ts';
import type { ValidationLane } from '../../config/validation.ts';
import { shellQuote } from '../../gates/curl.ts';
import { messageOf } from '../../gates/error-result.ts';
import type { BackupRun, NewestObject } from '../ports.ts';
import { type CheckContext, judged, notMeasured, type Observation, type ValidationPorts } from './context.ts';

// Seed 002's go/no-go rule 5: "legacy deletion phases require fresh Laravel DB backup artifacts". The
// lane finds the newest backup artifact, either the newest object under a Cloud Storage prefix (by its
// creation time) or the newest SUCCESSFUL Cloud SQL backup run (by its end time), and passes when it is
// younger than `maxAge`. The row names the artifact, its age and the bound. Give the lane
// `phases: [legacy-deletion]` so it gates that phase only (`/validate prod --phase legacy-deletion`).

type BackupLane = Extract<ValidationLane, { kind: 'backup' }>;

/** Backup runs read: Cloud SQL keeps 7 automated backups by default, plus on-demand ones. */
const RUN_LIMIT = 50;

/** An age in whole minutes ("1d2h5m"); a time ahead of ours (clock skew) is no age at all. */
function ageOf(at: string, now: Date): number {
  return Math.max(0, now.getTime() - new Date(at).getTime());
}

function ageText(ms: number): string {
  return ms < 60_000 ? 'under a minute' : formatDuration(Math.floor(ms / 60_000) * 60_000);
}

export async function backupCheck(
  ctx: CheckContext,
  ports: Pick<ValidationPorts, 'storage' | 'sqlBackups'>,
): Promise<Observation> {
  const lane = ctx.lane as BackupLane;
  return lane.gcs ? storageBackup(ctx, lane, lane.gcs, ports) : sqlBackup(ctx, lane, ports);
}

async function storageBackup(
  ctx: CheckContext,
  lane: BackupLane,
  gcs: NonNullable<BackupLane['gcs']>,
  ports: Pick<ValidationPorts, 'storage'>,
): Promise<Observation> {
  const where = `gs://${gcs.bucket}/${gcs.prefix}`;
  const bound = formatDuration(lane.maxAge);
  const what = `newest backup under ${where}`;
  const expected = `younger than ${bound}`;
  const evidence = `gcloud storage ls --long ${shellQuote(`${where}**`)} | sort -k2 | tail -n 2`;
  if (!ports.storage)
    return notMeasured(
      what,
      expected,
      evidence,
      'Cloud Storage is not available to validation on this replica',
    );
  let found: NewestObject;
  try {
    found = await ports.storage.newest({ bucket: gcs.bucket, prefix: gcs.prefix });
  } catch (error) {
    return notMeasured(what, expected, evidence, messageOf(error));
  }
  const newest = found.newest;
  if (!newest) {
    if (!found.complete)
      return notMeasured(what, expected, evidence, `the listing stopped after ${found.seen} entries`);
    return judged(what, 'no backup', expected, evidence, [`nothing is stored under ${where}`]);
  }
  const age = ageOf(newest.createdAt, ctx.now());
  const observed = `${newest.uri} from ${newest.createdAt}, ${ageText(age)} old`;
  if (age <= lane.maxAge) return judged(what, observed, expected, evidence, []);
  // The newest of a partial listing may not be the newest there is: a stale one proves nothing.
  if (!found.complete)
    return {
      ...notMeasured(
        what,
        expected,
        evidence,
        `the newest of the first ${found.seen} objects is ${ageText(age)} old, and the listing stopped there: narrow the prefix`,
      ),
      observed,
    };
  return judged(what, observed, expected, evidence, [`the newest backup is older than ${bound}`]);
}

async function sqlBackup(
  ctx: CheckContext,
  lane: BackupLane,
  ports: Pick<ValidationPorts, 'sqlBackups'>,
): Promise<Observation> {
  const sql = lane.cloudSql as NonNullable<BackupLane['cloudSql']>;
  const project = sql.project ?? ctx.target.project;
  const bound = formatDuration(lane.maxAge);
  const what = `newest successful backup of Cloud SQL ${project}:${sql.instance}`;
  const expected = `younger than ${bound}`;
  const evidence = `gcloud sql backups list --instance ${shellQuote(sql.instance)} --project ${shellQuote(project)} --limit 20`;
  if (!ports.sqlBackups)
    return notMeasured(what, expected, evidence, 'Cloud SQL is not available to validation on this replica');
  let runs: BackupRun[];
  try {
    runs = await ports.sqlBackups.backupRuns({ project, instance: sql.instance, limit: RUN_LIMIT });
  } catch (error) {
    return notMeasured(what, expected, evidence, messageOf(error));
  }
  const latest = runs[0];
  const newest = runs
    .filter((run) => run.status === 'SUCCESSFUL' && run.endTime)
    .sort((a, b) => Date.parse(b.endTime as string) - Date.parse(a.endTime as string))[0];
  const after =
    latest && latest !== newest
      ? `; latest run ${latest.id} ${latest.status}${latest.error ? `: ${latest.error}` : ''}`
      : '';
  if (!newest) {
    const none = runs.length === 0 ? 'no backup run' : `no successful run among the latest ${runs.length}`;
    return judged(what, `${none}${after}`, expected, evidence, [`${none} of ${sql.instance}`]);
  }
  const end = newest.endTime as string;
  const age = ageOf(end, ctx.now());
  const observed = `backup run ${newest.id}${newest.type ? ` (${newest.type})` : ''} ended ${end}, ${ageText(age)} old${after}`;
  const problems = age <= lane.maxAge ? [] : [`the newest successful backup is older than ${bound}`];
  return judged(what, observed, expected, evidence, problems);
}
