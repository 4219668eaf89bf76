import { HttpResponse } from 'msw';
import { googleError as googleErrorBody, STATUS_OF, wantsIntEnums } from '../google-rest.ts';

// JSON as Cloud Run Admin v2 puts it on the wire: Google error bodies, enums as names or (when the
// client asks with `$alt=json;enum-encoding=int`, as @google-cloud/run's REST transport does) numbers.

export const SERVICE_TYPE = 'type.googleapis.com/google.cloud.run.v2.Service';

export const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' as const;
export const REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION' as const;

/** Thrown inside the twin, answered as Google's `{error: {code, message, status}}`. */
export class TwinError extends Error {
  readonly code: number;
  readonly status: string;
  constructor(code: number, message: string, status = STATUS_OF[code] ?? 'UNKNOWN') {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export function googleError(error: TwinError, retryAfterSeconds?: number): Response {
  if (!retryAfterSeconds) return googleErrorBody(error.code, error.message, {}, error.status);
  return googleErrorBody(
    error.code,
    error.message,
    { 'retry-after': String(retryAfterSeconds) },
    error.status,
    [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` }],
  );
}

// Only the enum fields the twin emits. Keyed by field name, since value names repeat across enums.
const ENUMS: Record<string, Record<string, number>> = {
  type: { TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED: 0, [LATEST]: 1, [REVISION]: 2 },
  state: {
    STATE_UNSPECIFIED: 0,
    CONDITION_PENDING: 1,
    CONDITION_RECONCILING: 2,
    CONDITION_FAILED: 3,
    CONDITION_SUCCEEDED: 4,
  },
  severity: { SEVERITY_UNSPECIFIED: 0, ERROR: 1, WARNING: 2, INFO: 3 },
  executionReason: { EXECUTION_REASON_UNDEFINED: 0, NON_ZERO_EXIT_CODE: 2, CANCELLED: 3 },
  completionStatus: {
    COMPLETION_STATUS_UNSPECIFIED: 0,
    EXECUTION_SUCCEEDED: 1,
    EXECUTION_FAILED: 2,
    EXECUTION_RUNNING: 3,
    EXECUTION_PENDING: 4,
    EXECUTION_CANCELLED: 5,
  },
  launchStage: { LAUNCH_STAGE_UNSPECIFIED: 0, GA: 4 },
};

function encodeEnums(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(encodeEnums);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const number = typeof v === 'string' ? ENUMS[key]?.[v] : undefined;
    out[key] = number ?? encodeEnums(v);
  }
  return out;
}

/** A 200 answer, with enums encoded the way this request asked for. */
export function json(request: Request, body: unknown): Response {
  return HttpResponse.json((wantsIntEnums(request) ? encodeEnums(body) : body) as never);
}

/** Reads a traffic type given as a name or a number. */
export function trafficType(value: unknown): typeof LATEST | typeof REVISION | undefined {
  if (value === 1 || value === LATEST) return LATEST;
  if (value === 2 || value === REVISION) return REVISION;
  return undefined;
}

export function shortName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

const REGION_CODES: Record<string, string> = {
  'us-central1': 'uc',
  'us-east1': 'ue',
  'us-east4': 'uk',
  'us-west1': 'uw',
  'europe-west1': 'ew',
  'europe-west4': 'ez',
  'asia-northeast1': 'an',
};

function regionCode(region: string): string {
  return (
    REGION_CODES[region] ??
    region
      .replace(/\d+$/, '')
      .split('-')
      .map((part) => part[0])
      .join('')
  );
}

/** Cloud Run's per-project URL hash (10 characters), deterministic here so URLs are stable in tests. */
function projectHash(project: string): string {
  let h = 0x811c9dc5;
  for (const c of project) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(36).padEnd(10, 'q7x2m');
}

export function serviceUrl(project: string, region: string, service: string, tag?: string): string {
  const host = `${service}-${projectHash(project)}-${regionCode(region)}.a.run.app`;
  return `https://${tag ? `${tag}---` : ''}${host}`;
}

/** Drops proto3 defaults ('' / 0 / false / empty) so echoed templates read like the API's answers. */
export function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(compact);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const c = compact(v);
    const empty =
      c === '' ||
      c === 0 ||
      c === false ||
      c === null ||
      c === undefined ||
      (Array.isArray(c) && c.length === 0) ||
      (typeof c === 'object' && c !== null && !Array.isArray(c) && Object.keys(c).length === 0);
    if (!empty) out[key] = c;
  }
  return out;
}
