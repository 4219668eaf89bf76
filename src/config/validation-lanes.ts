import { z } from 'zod';
import { duration } from './duration.ts';
import { httpsUrl, urlPath } from './names.ts';
import { secretRef } from './secret-ref.ts';

// The keys of three lane kinds of the validation matrix (validation.ts composes them with the keys every
// lane has): external-ci (seed 002's Khala contract and surface parity lanes: a CI result for the commit
// or image being released), backup (go/no-go rule 5: fresh DB backup artifacts before legacy deletion)
// and runtime-smoke (seed 002 lane 2: runtime health and authority API smoke).

type Issue = { addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void };

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'expected an environment variable name' });

// Cloud Build's own rule for build tags.
const buildTag = z
  .string()
  .regex(/^[\w][\w.-]{0,127}$/, { error: 'expected a Cloud Build tag: letters, digits, _ . - (up to 128)' });

const cloudBuildSource = z
  .strictObject({
    tags: z.array(buildTag).min(1).optional().meta({
      description: 'Builds carrying every one of these tags (Cloud Build tags, not image tags)',
    }),
    substitutions: z.record(envName, z.string()).optional().meta({
      description: 'Builds whose substitutions have these values, e.g. {_SUITE: khala}',
    }),
    project: z.string().min(1).optional().meta({ description: "Default: the service's project" }),
    location: z.string().min(1).default('global').meta({
      description: 'Where the builds run: global, or a region for regional (private pool) builds',
    }),
    commitSubstitution: envName.default('COMMIT_SHA').meta({
      description:
        'The substitution holding the commit (a 7-character sha is looked up as SHORT_SHA instead)',
    }),
  })
  .refine((s) => s.tags !== undefined || s.substitutions !== undefined, {
    error: 'name the check: tags, substitutions or both (e.g. tags: [khala-contract])',
  })
  .meta({ description: 'Read the newest Cloud Build build of the commit or image' });

const githubSource = z
  .strictObject({
    repo: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected "owner/name", e.g. "acme/app"' }),
    check: z.string().min(1).max(200).meta({ description: 'The check run name, as GitHub shows it' }),
    token: secretRef.meta({ description: 'A GitHub token with checks:read (or repo) on the repository' }),
    apiUrl: httpsUrl.optional().meta({ description: 'GitHub Enterprise Server API URL' }),
  })
  .meta({ description: 'Read the newest GitHub check run of that name on the commit' });

export const externalCiFields = {
  kind: z.literal('external-ci').meta({
    description:
      'The result of a check another CI ran for the commit or image being released (Cloud Build or a GitHub check run)',
  }),
  cloudBuild: cloudBuildSource.optional(),
  github: githubSource.optional(),
  commitEnv: envName.optional().meta({
    description:
      'Environment variable of the revision serving traffic that holds its commit SHA, used when /validate is given neither --sha nor --image',
  }),
};

export function checkExternalCi(lane: { cloudBuild?: unknown; github?: unknown }, ctx: Issue): void {
  if ((lane.cloudBuild === undefined) === (lane.github === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['cloudBuild'],
      message: 'an external-ci lane reads one source: set cloudBuild or github (not both)',
    });
  }
}

const bucketName = z.string().regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, {
  error: 'expected a Cloud Storage bucket name',
});

export const backupFields = {
  kind: z.literal('backup').meta({
    description:
      'A backup artifact newer than maxAge (seed 002 rule 5: legacy deletion needs fresh DB backups): the newest Cloud Storage object under a prefix, or the newest successful Cloud SQL backup run',
  }),
  maxAge: duration.meta({ description: 'The newest backup must be younger than this, e.g. 24h' }),
  gcs: z
    .strictObject({
      bucket: bucketName,
      prefix: z.string().default('').meta({ description: 'Object name prefix, e.g. laravel-db/' }),
    })
    .optional()
    .meta({ description: "The newest object's creation time counts" }),
  cloudSql: z
    .strictObject({
      instance: z.string().regex(/^[a-z][a-z0-9-]{0,97}$/, { error: 'expected a Cloud SQL instance id' }),
      project: z.string().min(1).optional().meta({ description: "Default: the service's project" }),
    })
    .optional()
    .meta({ description: "The newest SUCCESSFUL backup run's end time counts" }),
};

export function checkBackup(lane: { gcs?: unknown; cloudSql?: unknown }, ctx: Issue): void {
  if ((lane.gcs === undefined) === (lane.cloudSql === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['gcs'],
      message: 'a backup lane reads one artifact: set gcs or cloudSql (not both)',
    });
  }
}

const httpStatus = z.int().min(100).max(599);

const smokeRequest = z.strictObject({
  name: z.string().min(1).max(80).optional().meta({
    description: 'The row\'s check name; default "METHOD path"',
  }),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
  path: urlPath,
  body: z.unknown().optional().meta({ description: 'Request body, sent as JSON' }),
  auth: z.enum(['auto', 'access-token', 'none']).default('auto').meta({
    description:
      "auto: the service environment's access token as a bearer token when one is configured; access-token: always (skipped without one); none",
  }),
  expect: z
    .strictObject({
      status: z.union([httpStatus, z.array(httpStatus).min(1)]).default(200),
      json: z.record(z.string(), z.unknown()).optional().meta({
        description: 'Dotted JSON paths and the values expected there, e.g. {"data.authority": "runtime"}',
      }),
    })
    .prefault({}),
});
export type SmokeRequest = z.infer<typeof smokeRequest>;

export const runtimeSmokeFields = {
  kind: z.literal('runtime-smoke').meta({
    description:
      'Runtime health and authority API smoke (seed 002 lane 2): GET each health path, then each request, one row each',
  }),
  target: z.enum(['public', 'service']).default('public').meta({
    description: "public: the service's publicUrl; service: its run.app URL",
  }),
  health: z
    .array(urlPath)
    .default(['/healthz', '/readyz'])
    .meta({ description: 'Health paths, each a GET expecting 200 (no token sent)' }),
  requests: z.array(smokeRequest).default([]).meta({ description: 'Authority API requests' }),
  timeout: duration.prefault('10s').meta({ description: 'Bound on each request' }),
};

/** The row name of a smoke request. */
export function smokeCheckName(request: Pick<SmokeRequest, 'name' | 'method' | 'path'>): string {
  return request.name ?? `${request.method} ${request.path}`;
}

export function checkRuntimeSmoke(
  lane: { health: string[]; requests: Pick<SmokeRequest, 'name' | 'method' | 'path'>[] },
  ctx: Issue,
): void {
  if (lane.health.length === 0 && lane.requests.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['requests'],
      message: 'a runtime-smoke lane needs health paths or requests',
    });
  }
  const seen = new Set(lane.health.map((path) => `GET ${path}`));
  lane.requests.forEach((request, i) => {
    const check = smokeCheckName(request);
    if (seen.has(check)) {
      ctx.addIssue({
        code: 'custom',
        path: ['requests', i, 'name'],
        message: `"${check}" is already a row of this lane: give the request a name`,
      });
    }
    seen.add(check);
  });
}
