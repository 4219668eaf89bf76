import { z } from 'zod';
import { freezeRules } from './freezes.ts';
import { httpsUrl, name, slackChannel } from './names.ts';
import { secretRef } from './secret-ref.ts';

const gcpProject = z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, {
  error: 'expected a Google Cloud project id like "my-project-123"',
});
const gcpRegion = z
  .string()
  .regex(/^[a-z]+-[a-z]+\d+$/, { error: 'expected a Cloud Run region like "us-central1"' });
const imageRepository = z.string().regex(/^[a-z0-9.-]+(?::\d+)?(?:\/[a-z0-9._-]+)+$/, {
  error: 'expected an image repository without tag, like "us-central1-docker.pkg.dev/my-project/repo/image"',
});

const cloudRunName = z.string().regex(/^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$/, {
  error: 'expected a Cloud Run service name: lower-case letters, digits and dashes, up to 49',
});

/** Where and how one service runs in one environment. Unset fields fall back to the service's. */
export const serviceEnvironment = z.strictObject({
  cloudRunService: cloudRunName,
  project: gcpProject.optional(),
  region: gcpRegion.optional(),
  publicUrl: httpsUrl.meta({ description: 'Public base URL, e.g. https://staging.example.com' }),
  image: imageRepository.optional(),
  slackChannel: slackChannel.optional(),
  runbook: name.optional(),
  cutover: name.optional().meta({ description: 'The stream-cutover runbook `/cutover stream` runs here' }),
  accessToken: secretRef
    .optional()
    .meta({ description: 'Token for the authenticated smoke checks (gates with auth: access-token)' }),
  routeSplit: z
    .strictObject({
      baseUrl: httpsUrl.meta({
        description: 'Route-split control API base, e.g. https://example.com/api/v1/control/route-split',
      }),
      token: secretRef.meta({ description: 'Bearer token of an operator allowed to override' }),
    })
    .optional(),
  prometheusUrl: z.url().optional(),
  requiredEnv: z
    .array(z.string().regex(/^[A-Z_][A-Z0-9_]*$/))
    .default([])
    .meta({
      description:
        'Environment variables the Cloud Run service must declare (names only), e.g. WORKOS_CLIENT_ID',
    }),
  requiredSecrets: z
    .array(z.string().regex(/^[A-Z_][A-Z0-9_]*$/))
    .default([])
    .meta({
      description: 'Variables it must read from Secret Manager (names only), e.g. OA_SYNC_TOKEN_SIGNING_KEY',
    }),
  migrateJob: cloudRunName
    .optional()
    .meta({ description: 'Cloud Run job that migrates this service (seed 002)' }),
  freezes: freezeRules.meta({
    description:
      "Scheduled deploy freezes of this service in this environment, besides the environment's own",
  }),
});
export type ServiceEnvironment = z.infer<typeof serviceEnvironment>;

export const service = z.strictObject({
  description: z.string().optional(),
  project: gcpProject.optional(),
  region: gcpRegion.optional(),
  image: imageRepository
    .optional()
    .meta({ description: 'Image repository without tag; /canary start <tag> deploys <image>:<tag>' }),
  slackChannel: slackChannel.optional(),
  runbook: name.default('canary'),
  cutover: name.optional().meta({
    description:
      'The stream-cutover runbook `/cutover stream` runs (seed 004); an environment may name its own',
  }),
  defaultEnvironment: name.optional().meta({
    description:
      'The environment a slash command means when it names none and several run from its channel (pick the safer one)',
  }),
  environments: z.record(name, serviceEnvironment),
});
export type Service = z.infer<typeof service>;
