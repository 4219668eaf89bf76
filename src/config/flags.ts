import { z } from 'zod';
import { duration } from './duration.ts';
import { principals } from './environments.ts';
import { name } from './names.ts';
import { secretRef } from './secret-ref.ts';

// The feature-flag canary of seed 003: which flags, where they live (a backend), who signs off the ones
// that need it, what must hold before they go on, the smoke, and the watch with its rollback triggers.

/** A flag's name as the application knows it (feature_flags.json keys): letters, digits, _ . - */
export const flagName = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,79}$/, {
  error:
    'expected a flag name of letters, digits, `_`, `.` and `-` (up to 80), like failure_catalog_runtime_integration',
});

const envVarName = z.string().regex(/^[A-Z_][A-Z0-9_]{0,99}$/, {
  error: 'expected an environment variable name like FF_FAILURE_CATALOG',
});

export const httpJsonBackend = z.strictObject({
  kind: z.literal('http-json'),
  url: z
    .string()
    .regex(/^(?:https?:\/\/\S+|\/\S*)$/, {
      error:
        "expected an http(s) URL, or a path on the service environment's publicUrl like /api/feature-flags",
    })
    .meta({
      description:
        "The flags document: GET answers it with an ETag, PUT with If-Match writes it; a path is on the service's publicUrl",
    }),
  token: secretRef.optional().meta({ description: 'Bearer token for GET and PUT' }),
  paths: z
    .record(flagName, z.string().regex(/^[A-Za-z0-9_.-]+$/))
    .default({})
    .meta({ description: "Dotted JSON path of each flag's boolean; default flags.<flag>.enabled" }),
});

export const cloudRunEnvBackend = z.strictObject({
  kind: z.literal('cloud-run-env'),
  variables: z.record(flagName, envVarName).default({}).meta({
    description: "Each flag's environment variable; default the flag's name upper-cased, with _ for . and -",
  }),
});

export const flagBackend = z.discriminatedUnion('kind', [httpJsonBackend, cloudRunEnvBackend]);
export type FlagBackendConfig = z.infer<typeof flagBackend>;

const smoke = z.union([
  z.strictObject({ gate: name.meta({ description: 'An http gate whose pass is the smoke' }) }),
  z.strictObject({
    job: name.meta({
      description: 'A Cloud Run job of the service environment; its exit code is the smoke return code',
    }),
    timeout: duration.prefault('3m'),
  }),
]);

export const flagCanaryRunbook = z.strictObject({
  kind: z.literal('flag-canary'),
  description: z.string().optional(),
  service: name.meta({
    description: 'The service the flags change: its channel, deploy lock, URLs and Prometheus',
  }),
  flags: z
    .array(
      z.strictObject({
        name: flagName,
        signoff: z
          .boolean()
          .default(false)
          .meta({ description: 'Needs a recorded sign-off (seed 003: .m4_signoff)' }),
      }),
    )
    .min(1, { error: 'expected at least one flag' }),
  backend: flagBackend,
  signoff: z
    .strictObject({
      by: principals.meta({ description: 'Who may record a sign-off (/flag signoff)' }),
      expiresAfter: duration.prefault('7d'),
    })
    .optional(),
  prerequisites: z
    .strictObject({
      shadowRun: z.array(name).default([]).meta({
        description:
          'Gates that must pass before the flags go on (a Prometheus query such as mismatches = 0, or an http check)',
      }),
      health: z.array(name).default([]).meta({ description: 'http gates: the services are healthy' }),
    })
    .prefault({}),
  smoke: smoke.optional(),
  watch: duration
    .prefault('5m')
    .meta({ description: 'The watch window after the smoke (--watch overrides it)' }),
  interval: duration
    .prefault('30s')
    .meta({ description: 'How often the triggers are read during the watch' }),
  triggers: z.array(name).min(1, { error: 'expected the prometheus gates that roll the flags back' }).meta({
    description:
      'prometheus gates read every interval: any-increase (golden_mismatch) rolls back at once; delta and delta-percent (with a profile) against the baseline captured before the flags went on',
  }),
  prometheusUnavailable: z.enum(['continue', 'stop']).default('continue').meta({
    description:
      'Prometheus unreachable during the watch: continue with a warning (seed 003), or stop and roll back',
  }),
});
export type FlagCanaryRunbook = z.infer<typeof flagCanaryRunbook>;
