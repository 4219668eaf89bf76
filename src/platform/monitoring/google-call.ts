import { PlatformError, type PlatformErrorKind } from '../../runbooks/ports/errors.ts';
import { GRPC, kindOfGrpcError } from '../errors.ts';

// One read from a Google API with a bounded deadline and a bounded retry, its failure mapped to a
// PlatformError that says what was asked and what the API said. Shared by the Monitoring, Logging,
// Cloud Build and Cloud SQL adapters.

export interface CallPolicy {
  /** Bound on each attempt: the library's deadline, and a guard around it. */
  timeoutMs: number;
  /** Attempts in all when the API answers UNAVAILABLE, INTERNAL or RESOURCE_EXHAUSTED. */
  attempts: number;
  /** Wait before the second attempt, doubled for each one after. */
  retryDelayMs: number;
}

export const DEFAULT_CALL_POLICY: CallPolicy = { timeoutMs: 15_000, attempts: 2, retryDelayMs: 500 };

/** An adapter's policy: what its options set, the default for the rest. */
export function callPolicyOf(options: Partial<CallPolicy>): CallPolicy {
  return {
    timeoutMs: options.timeoutMs ?? DEFAULT_CALL_POLICY.timeoutMs,
    attempts: options.attempts ?? DEFAULT_CALL_POLICY.attempts,
    retryDelayMs: options.retryDelayMs ?? DEFAULT_CALL_POLICY.retryDelayMs,
  };
}

/** The systems that read through callGoogle, and their names in messages. */
const SYSTEM_NAMES = {
  monitoring: 'Cloud Monitoring',
  logging: 'Cloud Logging',
  'cloud-build': 'Cloud Build',
  'cloud-sql': 'Cloud SQL',
} as const;

export interface CallContext {
  system: keyof typeof SYSTEM_NAMES;
  /** What was asked, for messages: "Cloud Monitoring request_count of projects/p". */
  what: string;
  /** The IAM role that allows the read, named in a permission-denied message. */
  role: string;
}

/**
 * Call options for the library: our deadline, and its own retry off (its defaults retry UNAVAILABLE for
 * up to ten minutes, and an exhausted retry surfaces as DEADLINE_EXCEEDED, hiding the real cause).
 */
export interface GaxCallOptions {
  timeout: number;
  retry: null;
  autoPaginate: false;
}

const TRANSIENT: readonly unknown[] = [GRPC.UNAVAILABLE, GRPC.INTERNAL, GRPC.RESOURCE_EXHAUSTED];

// The library's deadline is the real bound; this guard only catches a hang before the request is sent
// (credentials, say), so it allows a little more.
const GUARD_GRACE_MS = 1_000;

export async function callGoogle<T>(
  context: CallContext,
  policy: CallPolicy,
  call: (options: GaxCallOptions) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await guarded(
        call({ timeout: policy.timeoutMs, retry: null, autoPaginate: false }),
        context,
        policy,
      );
    } catch (error) {
      if (error instanceof PlatformError) throw error;
      const code = (error as { code?: unknown })?.code;
      if (!TRANSIENT.includes(code) || attempt >= policy.attempts) {
        throw failure(context, policy, error, attempt);
      }
      await new Promise((resolve) => setTimeout(resolve, policy.retryDelayMs * 2 ** (attempt - 1)));
    }
  }
}

async function guarded<T>(work: Promise<T>, context: CallContext, policy: CallPolicy): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PlatformError(context.system, 'timeout', `${context.what}: ${noAnswer(policy)}`)),
      policy.timeoutMs + GUARD_GRACE_MS,
    );
  });
  work.catch(() => {}); // settles after the guard fired: nobody is listening any more
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

const noAnswer = (policy: CallPolicy) => `no answer within ${policy.timeoutMs} ms`;

function failure(context: CallContext, policy: CallPolicy, error: unknown, attempts: number): PlatformError {
  const message = (error as Error)?.message;
  const said = message ? ` (${SYSTEM_NAMES[context.system]}: ${message})` : '';
  const kind: PlatformErrorKind = kindOfGrpcError(error);
  const tries = attempts > 1 ? `, ${attempts} attempts` : '';
  const text: Record<PlatformErrorKind, string> = {
    'not-found': `not found; check the project id${said}`,
    unauthorized: `the Google credentials were rejected; check Application Default Credentials${said}`,
    'permission-denied': `permission denied; grant the bot's service account ${context.role}${said}`,
    conflict: `refused as conflicting${said}`,
    'operation-failed': `failed${said}`,
    timeout: noAnswer(policy),
    'rate-limited': `quota exhausted${tries}${said}`,
    unavailable: `unavailable${tries}${said}`,
    invalid: `refused as invalid${said}`,
    'verify-failed': `answered something else than asked${said}`,
  };
  return new PlatformError(context.system, kind, `${context.what}: ${text[kind]}`, { cause: error });
}
