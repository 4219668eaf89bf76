import { z } from 'zod';
import { duration } from './duration.ts';
import { freezeRules } from './freezes.ts';
import { httpsUrl, name, slackUserGroup, slackUserId } from './names.ts';
import { secretRef } from './secret-ref.ts';
import { validationMatrix } from './validation.ts';

/** Who: Slack user ids and user groups. Groups are expanded through Slack at the moment of each check. */
export const principals = z
  .strictObject({
    users: z.array(slackUserId).default([]),
    groups: z.array(slackUserGroup).default([]),
  })
  .meta({ description: 'Slack user ids and user-group handles' });
export type Principals = z.infer<typeof principals>;

const approvalRule = z.strictObject({
  approvers: principals
    .optional()
    .meta({ description: 'Who may approve; defaults to the approvers of forward shifts' }),
  required: z.int().min(1).max(10).default(1).meta({ description: 'Distinct approvals needed' }),
  allowSelfApproval: z
    .boolean()
    .default(false)
    .meta({ description: 'Whether the requester may approve their own rollout or rollback' }),
});

export const approvalPolicy = z
  .strictObject({
    approvers: principals,
    required: z.int().min(1).max(10).default(1).meta({ description: 'Distinct approvals needed per stage' }),
    allowSelfApproval: z.boolean().default(false),
    expiresAfter: duration.prefault('1h').meta({ description: 'An approval request left undecided expires' }),
  })
  .superRefine((policy, ctx) => {
    const explicit = policy.approvers.users.length;
    if (policy.approvers.groups.length === 0 && explicit < policy.required) {
      ctx.addIssue({
        code: 'custom',
        path: ['required'],
        message: `needs ${policy.required} distinct approvers but approvers lists only ${explicit} user(s) and no group`,
      });
    }
  });
export type ApprovalPolicy = z.infer<typeof approvalPolicy>;

export const rollbackPolicy = z.strictObject({
  onGateFailure: z.enum(['automatic', 'approve']).default('automatic').meta({
    description:
      'automatic: a failing gate rolls back at once (approving the rollout approved its rollback policy); approve: ask for one click first',
  }),
  approval: approvalRule.prefault({}).meta({ description: 'What a manual /rollback needs' }),
  breakGlass: principals.prefault({}).meta({ description: 'May roll back alone, with a mandatory reason' }),
});
export type RollbackPolicy = z.infer<typeof rollbackPolicy>;

const precondition = (fallback: 'required' | 'advisory' | 'off', description: string) =>
  z.enum(['required', 'advisory', 'off']).default(fallback).meta({ description });
// Where evidence reports are kept beyond Redis' 90 days (issue 18, section 4). Object and file names,
// from the run id the thread and `/report <run-id>` know (run ids start with their UTC time, e.g.
// `c-20261130T051500-3fa2`, so names sort by time as the seeds' `<timestamp>-...` ones do):
//   Cloud Storage: gs://<bucket>/<prefix><runId>/<name>
//   GitHub:        <repo> <branch>:<path>/<runId>/<name>, or the same on branch shiftgate/report-<runId>
//                  with a pull request into <branch> when <branch> refuses direct commits.
const gcsBucket = z.string().regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, {
  error: 'expected a Cloud Storage bucket name like "acme-shiftgate-reports" (no gs://)',
});

/** A folder inside the bucket or repository: no leading slash; a bucket prefix ends with one. */
const folder = (trailingSlash: boolean) =>
  z
    .string()
    .regex(/^[^\s\\]*$/, { error: 'expected a folder path without spaces or backslashes' })
    .transform((text) => {
      const bare = text.replace(/^\/+|\/+$/g, '');
      return trailingSlash && bare ? `${bare}/` : bare;
    });

export const reportsConfig = z
  .strictObject({
    gcs: z
      .strictObject({
        bucket: gcsBucket,
        prefix: folder(true)
          .default('shiftgate-reports/')
          .meta({ description: 'Object names are <prefix><runId>/<name>; a trailing slash is added' }),
      })
      .optional()
      .meta({ description: 'A Cloud Storage bucket the bot service account may create and read objects in' }),
    github: z
      .strictObject({
        repo: z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, { error: 'expected "owner/name"' }),
        branch: z
          .string()
          .min(1)
          .default('main')
          .meta({ description: 'The branch reports are committed to' }),
        path: folder(false)
          .default('docs/reports')
          .meta({ description: 'Files are <path>/<runId>/<name> in the repository' }),
        token: secretRef.meta({
          description: 'A GitHub token with contents:write (and pull-requests:write for pull requests)',
        }),
        pullRequest: z.enum(['auto', 'always', 'never']).default('auto').meta({
          description:
            'auto: commit to the branch, or through a pull request from shiftgate/report-<runId> when the branch is protected; always: always a pull request; never: fail on a protected branch',
        }),
        apiUrl: httpsUrl
          .optional()
          .meta({ description: 'GitHub Enterprise Server API URL (default https://api.github.com)' }),
      })
      .optional()
      .meta({ description: "Also commit each report to a GitHub repository (the seeds' docs/reports)" }),
  })
  .refine((reports) => reports.gcs !== undefined || reports.github !== undefined, {
    error: 'expected gcs, github or both (leave reports out to keep reports in Redis and Slack only)',
  });
export type ReportsConfig = z.infer<typeof reportsConfig>;

export const environment = z.strictObject({
  description: z.string().optional(),
  deployers: principals.meta({ description: 'May start, pause, resume and abort their rollouts' }),
  admins: principals.prefault({}).meta({ description: 'May force-unlock, promote now and freeze deploys' }),
  approval: approvalPolicy,
  rollback: rollbackPolicy.prefault({}),
  validation: validationMatrix.optional(),
  preconditions: z
    .strictObject({
      image: precondition(
        'required',
        'The image tag exists in Artifact Registry (it is deployed by its digest)',
      ),
      service: precondition('required', 'The Cloud Run service exists in its project and region'),
      permissions: precondition(
        'advisory',
        "The bot's credentials may update the service and act as its runtime service account (testIamPermissions of Cloud Run and IAM)",
      ),
      env: precondition('required', "The service declares the environment's requiredEnv and requiredSecrets"),
    })
    .prefault({})
    .meta({
      description:
        'What is checked before anything is deployed (seeds 000, 001), each required, advisory or off',
    }),
  requireGo: z
    .strictObject({
      from: name.meta({
        description: 'The environment whose validation matrix must have said GO, e.g. staging',
      }),
      within: duration.prefault('24h').meta({ description: 'How recent that GO must be' }),
    })
    .optional()
    .meta({
      description:
        "A canary into this environment (and its last stage's approval) needs a recent GO of another environment's validation matrix, in gating mode (seeds 001, 002)",
    }),
  reports: reportsConfig.optional().meta({
    description: 'Durable copies of every evidence report, linked from the thread (/report <run-id>)',
  }),
  freezes: freezeRules.meta({
    description:
      'Scheduled deploy freezes for every service in this environment: no new rollout and no forward traffic shift during their windows; rollbacks always run; an admin may override with a reason (audited)',
  }),
});
export type Environment = z.infer<typeof environment>;
