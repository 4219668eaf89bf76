import { z } from 'zod';
import { duration } from './duration.ts';
import { urlPath } from './names.ts';
import { secretRef } from './secret-ref.ts';

// One schema per gate kind (DESIGN.md "Gates"); src/gates has one provider for each.

const regex = z.string().refine(
  (text) => {
    try {
      new RegExp(text);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected a valid regular expression' },
);

const target = z.enum(['canary', 'public', 'service']).default('canary').meta({
  description:
    "canary: the canary tag URL of the new revision; public: the service public URL; service: the Cloud Run service's own run.app URL (for smokes while the domain mapping is pending, seed 001)",
});

const auth = z.enum(['none', 'access-token']).default('none').meta({
  description:
    "access-token: send the service environment's access token as a bearer token; the check is skipped when none is configured",
});

/** How a gate's failure acts on a canary: see README "Shadow and advisory gates". */
export const GATE_MODES = ['enforce', 'shadow', 'advisory'] as const;
export type GateMode = (typeof GATE_MODES)[number];
/** The gates of a runbook whose mode is not enforce, by name. */
export type PinnedModes = Record<string, Exclude<GateMode, 'enforce'>>;
// Optional rather than defaulted, so a gate built in code (tests, the sandbox) needs none: absent is enforce.
const mode = z.enum(GATE_MODES).optional().meta({
  description:
    "Default enforce. enforce: a failure rolls the canary back (the runbook's judge decides); shadow: evaluated, shown and recorded, never rolls back (its line says it would have); advisory: a failure asks in the thread for one click, continue or roll back. Canary stages only: the stream cutover, the flag canary and the validation matrix enforce every gate they name",
});

const headerExpectation = z.union([
  z.string().meta({ description: 'exact value' }),
  z.strictObject({ contains: z.string() }),
  z.strictObject({ matches: regex }),
  z.strictObject({ absent: z.literal(true) }),
]);

const httpStatus = z.int().min(100).max(599);

/** What an http response must be; `status` defaults differ (200 with the bypass, 503 without it). */
const httpExpectation = (defaultStatus: number) =>
  z.strictObject({
    status: z.union([httpStatus, z.array(httpStatus).min(1)]).default(defaultStatus),
    headers: z.record(z.string(), headerExpectation).optional(),
    body: z
      .strictObject({
        contains: z.string().optional(),
        matches: regex.optional(),
        json: z.record(z.string(), z.unknown()).optional().meta({
          description: 'Dotted JSON paths and the values expected there, e.g. {"decision": "allow"}',
        }),
      })
      .optional(),
    maxLatency: duration.optional(),
  });

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'expected an HTTP header name' });

export const DEFAULT_BYPASS_HEADER = 'x-maintenance-bypass';

// The maintenance bypass of seed 001: smokes run through it during a maintenance window. Services take
// the token either in a header on every request, or once in a query parameter that answers with a
// bypass cookie (the control service: /?maintenance_bypass=<token> sets a signed oa_maintenance_bypass).
const maintenanceBypass = z
  .strictObject({
    token: secretRef.meta({ description: 'The maintenance bypass token (a secret reference)' }),
    header: headerName.optional().meta({
      description: `Send the token in this request header (default ${DEFAULT_BYPASS_HEADER})`,
    }),
    bootstrap: z
      .strictObject({
        path: urlPath.default('/'),
        query: z.string().min(1).default('maintenance_bypass'),
      })
      .optional()
      .meta({
        description:
          'Instead of a header: first GET path?query=<token> and send the cookies it sets with the request (seed 001: /?maintenance_bypass=<token>)',
      }),
  })
  .refine((b) => b.header === undefined || b.bootstrap === undefined, {
    error: 'set header or bootstrap, not both',
    path: ['bootstrap'],
  });

export const httpGate = z
  .strictObject({
    kind: z.literal('http'),
    description: z.string().optional(),
    mode,
    target,
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    path: urlPath,
    headers: z.record(z.string(), z.string()).optional().meta({ description: 'Request headers' }),
    body: z.unknown().optional().meta({ description: 'Request body, sent as JSON' }),
    auth,
    timeout: duration.prefault('10s'),
    expect: httpExpectation(200).prefault({}),
    bypass: maintenanceBypass.optional().meta({
      description:
        'Maintenance-window smoke: send the maintenance bypass token, so `expect` judges the service behind the maintenance page',
    }),
    expectWithoutBypass: httpExpectation(503).optional().meta({
      description:
        'Also send the request without the bypass and expect the maintenance answer (status 503 unless given), so the gate proves maintenance mode is on',
    }),
  })
  .refine((g) => g.expectWithoutBypass === undefined || g.bypass !== undefined, {
    error: 'expectWithoutBypass needs bypass: it is the same request without the bypass token',
    path: ['expectWithoutBypass'],
  });

export const sseContractGate = z.strictObject({
  kind: z.literal('sse-contract'),
  description: z.string().optional(),
  mode,
  target,
  method: z.enum(['GET', 'POST']).default('POST'),
  path: urlPath,
  body: z.unknown().optional(),
  auth,
  timeout: duration.prefault('30s').meta({ description: 'A stream that has not ended by then fails' }),
  events: z
    .array(z.string().min(1))
    .default(['start', 'start-step', 'finish-step', 'finish'])
    .meta({ description: 'Chunk types that must appear, in this order' }),
});

const minRequests = z
  .int()
  .min(1)
  .default(100)
  .meta({ description: 'Fewer canary requests than this in the window is inconclusive, never a failure' });

// The error-rate gate's fast signal: the sequential test on 5xx counted from Cloud Run's request logs,
// read every `interval` between the stage's ticks (gates/fast-signal.ts).
const fastSignalOptions = z
  .strictObject({
    interval: duration.prefault('10s').meta({
      description: "How often the request logs are read between the stage's ticks",
    }),
    lag: duration.prefault('5s').meta({
      description:
        "Counts end this long before now: Cloud Logging's ingestion latency (request logs arrive within seconds)",
    }),
  })
  .refine((o) => o.interval > 0, { error: 'interval must be longer than 0s', path: ['interval'] });
export const FAST_SIGNAL_DEFAULTS = { interval: 10_000, lag: 5_000 } as const;
const fastSignal = z.union([z.boolean(), fastSignalOptions]).default(true).meta({
  description:
    "Also judge the canary's 5xx against stable's from Cloud Run's request logs (seconds late, not Cloud Monitoring's minutes) with the sequential test, every interval; on by default, false turns it off. Needs roles/logging.viewer; without it the gate says so and Cloud Monitoring alone judges",
});
export type FastSignal = { interval: number; lag: number };

/** The gate's fast signal settings, or undefined when it has none. */
export function fastSignalOf(gate: {
  kind: string;
  metric?: string;
  fastSignal?: unknown;
}): FastSignal | undefined {
  if (gate.kind !== 'cloud-monitoring' || gate.metric !== 'error-rate') return undefined;
  const option = gate.fastSignal as boolean | Partial<FastSignal> | undefined;
  if (option === false) return undefined;
  return { ...FAST_SIGNAL_DEFAULTS, ...(typeof option === 'object' ? option : {}) };
}

const cloudMonitoringErrorRate = z.strictObject({
  kind: z.literal('cloud-monitoring'),
  metric: z.literal('error-rate'),
  description: z.string().optional(),
  mode,
  belowPercent: z
    .number()
    .gt(0)
    .max(100)
    .meta({ description: 'The 5xx share of canary requests must stay below this, in %' }),
  rule: z.enum(['confidence', 'point']).default('confidence').meta({
    description:
      "confidence: fail once the data shows at the runbook's alpha that the share is above belowPercent (an anytime-valid confidence sequence); point: fail when the observed share reaches belowPercent (the seed's literal reading)",
  }),
  minRequests,
  fastSignal,
});

const cloudMonitoringLatency = z
  .strictObject({
    kind: z.literal('cloud-monitoring'),
    metric: z.literal('latency'),
    description: z.string().optional(),
    mode,
    percentile: z.union([z.literal(50), z.literal(95), z.literal(99)]).default(95),
    maxIncreasePercent: z
      .number()
      .min(0)
      .optional()
      .meta({ description: 'Highest regression against the stable revision over the same window, in %' }),
    maxMs: z.number().positive().optional().meta({ description: 'Absolute bound in milliseconds' }),
    minRequests,
  })
  .refine((gate) => gate.maxIncreasePercent !== undefined || gate.maxMs !== undefined, {
    error: 'set maxIncreasePercent (against stable), maxMs (absolute), or both',
  });

const cloudLoggingErrorSpike = z.strictObject({
  kind: z.literal('cloud-logging'),
  check: z.literal('error-spike'),
  description: z.string().optional(),
  mode,
  filter: z.string().min(1).meta({
    description:
      'Cloud Logging filter for the errors; the revision and the time window are added by shiftgate',
  }),
  maxRatioToStable: z
    .number()
    .min(1)
    .default(2)
    .meta({ description: 'Highest ratio of canary errors per request to stable errors per request' }),
  minCount: z
    .int()
    .min(0)
    .default(5)
    .meta({ description: 'Fewer canary errors than this never fails the gate' }),
});

const cloudLoggingAuditEvents = z.strictObject({
  kind: z.literal('cloud-logging'),
  check: z.literal('audit-events'),
  description: z.string().optional(),
  mode,
  events: z.array(z.string().min(1)).min(1),
  field: z
    .string()
    .default('jsonPayload.event')
    .meta({ description: 'The log field holding the event name' }),
  minCount: z.int().min(1).default(1).meta({ description: 'Entries needed of each event in the window' }),
});

export const THRESHOLD_PROFILES = {
  conservative: { errorRateDeltaPercent: 10, latencyP95DeltaMs: 100 },
  moderate: { errorRateDeltaPercent: 50, latencyP95DeltaMs: 500 },
  permissive: { errorRateDeltaPercent: 100, latencyP95DeltaMs: 1000 },
} as const;
export type ThresholdProfile = keyof typeof THRESHOLD_PROFILES;

const prometheusGate = z
  .strictObject({
    kind: z.literal('prometheus'),
    description: z.string().optional(),
    mode,
    url: z
      .url()
      .optional()
      .meta({ description: "Prometheus base URL; defaults to the service environment's" }),
    query: z.string().min(1),
    rule: z.enum(['max', 'min', 'delta', 'delta-percent', 'any-increase']).meta({
      description:
        'max/min: absolute bound; delta and delta-percent: against the value captured before the change; any-increase: fails at once',
    }),
    limit: z.number().optional(),
    profile: z
      .enum(Object.keys(THRESHOLD_PROFILES) as [ThresholdProfile, ...ThresholdProfile[]])
      .optional()
      .meta({
        description:
          'A threshold profile of seed 003: delta-percent takes its error-rate delta %, delta its p95 delta ms',
      }),
  })
  .superRefine((gate, ctx) => {
    const needsLimit = gate.rule !== 'any-increase';
    const hasLimit = gate.limit !== undefined || gate.profile !== undefined;
    if (needsLimit && !hasLimit) {
      ctx.addIssue({
        code: 'custom',
        path: ['limit'],
        message: `rule "${gate.rule}" needs a limit or a profile`,
      });
    }
    if (gate.limit !== undefined && gate.profile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['profile'], message: 'set either limit or profile, not both' });
    }
    if (gate.profile !== undefined && gate.rule !== 'delta' && gate.rule !== 'delta-percent') {
      ctx.addIssue({
        code: 'custom',
        path: ['profile'],
        message: 'profiles apply to the delta and delta-percent rules',
      });
    }
    if (!needsLimit && hasLimit) {
      ctx.addIssue({ code: 'custom', path: ['rule'], message: 'any-increase takes no limit or profile' });
    }
  });

const routeSplitGate = z.strictObject({
  kind: z.literal('route-split'),
  description: z.string().optional(),
  mode,
  path: urlPath.meta({ description: 'The application path to evaluate, e.g. /login' }),
  expect: z.string().min(1).meta({
    description: 'The target the route split must answer: the control service answers rust_shell or legacy',
  }),
  cohortKey: z.string().min(1).optional().meta({
    description: 'Cohort key sent to evaluate, so the decision is the one the intended cohort gets',
  }),
});

// Cloud Run's domain mapping of the service (seed 001's `gcloud beta run domain-mappings describe`): it
// routes to the service, and Ready and CertificateProvisioned are True. Pending is inconclusive.
const domainMappingGate = z.strictObject({
  kind: z.literal('domain-mapping'),
  description: z.string().optional(),
  mode,
  domain: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/, {
      error: 'expected a lower-case domain name like "staging.example.com"',
    })
    .meta({
      description:
        "The mapped domain, e.g. staging.openagents.com; it must route to the service environment's cloudRunService",
    }),
});

// Dispatch on kind first, so a mistake is reported against the one schema that kind means.
export const gate = z.discriminatedUnion('kind', [
  httpGate,
  sseContractGate,
  z.discriminatedUnion('metric', [cloudMonitoringErrorRate, cloudMonitoringLatency]),
  z.discriminatedUnion('check', [cloudLoggingErrorSpike, cloudLoggingAuditEvents]),
  prometheusGate,
  routeSplitGate,
  domainMappingGate,
]);
export type Gate = z.infer<typeof gate>;
export type GateKind = Gate['kind'];

/** Whether a gate probes the Cloud Run service's own run.app URL (`target: service`). */
export function targetsService(gate: Gate | undefined): boolean {
  return (gate?.kind === 'http' || gate?.kind === 'sse-contract') && gate.target === 'service';
}
