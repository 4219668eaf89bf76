import { ACT_AS, type ServiceAccounts } from '../../runbooks/ports/preconditions.ts';
import { kindOfHttpStatus } from '../errors.ts';
import type { GoogleTarget } from '../google.ts';
import {
  callGoogleRest,
  googleMessage,
  type RestAuth,
  restAuthOf,
  restFailure,
  restUrl,
} from '../google-rest.ts';

// The actAs half of "may the bot deploy this service" (issue 18): deploying a revision that runs as a
// service account needs `iam.serviceAccounts.actAs` on that account, which Cloud Run's own
// testIamPermissions cannot see. IAM's admin API has no @google-cloud client, so this is its REST call
// through google-auth-library: POST iam.googleapis.com/v1/projects/P/serviceAccounts/EMAIL:testIamPermissions.

export const SYSTEM = 'iam';

export function createServiceAccounts(options: {
  google: GoogleTarget;
  /** Deadline of one call; default 30 s. */
  callTimeoutMs?: number;
  auth?: RestAuth;
}): ServiceAccounts {
  const auth = options.auth ?? restAuthOf(options.google);
  const timeoutMs = options.callTimeoutMs ?? 30_000;
  return {
    async mayActAs(project, email) {
      const subject = `service account ${email}`;
      const path = `/v1/projects/${encodeURIComponent(project)}/serviceAccounts/${encodeURIComponent(email).replace('%40', '@')}:testIamPermissions`;
      const { status, body } = await callGoogleRest({
        auth,
        url: restUrl(options.google, 'iam.googleapis.com', path),
        method: 'POST',
        data: { permissions: [ACT_AS] },
        timeoutMs,
        subject,
        api: 'IAM',
        system: SYSTEM,
      });
      if (status < 200 || status >= 300) {
        const said = googleMessage(body) ?? `HTTP ${status}`;
        throw restFailure(SYSTEM, kindOfHttpStatus(status), `${subject}: ${said}`);
      }
      const granted = (body as { permissions?: unknown } | undefined)?.permissions;
      return Array.isArray(granted) && granted.includes(ACT_AS);
    },
  };
}
