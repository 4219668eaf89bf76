import { formatDuration } from '../config/duration.ts';
import type { Gate } from '../config/gates.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import type { ValidationMatrix } from '../config/validation.ts';
import { messageOf } from '../gates/error-result.ts';
import type { ServiceState } from '../runbooks/ports/cloud-run.ts';
import { backupCheck } from './checks/backup.ts';
import { canaryStatusCheck } from './checks/canary-status.ts';
import { type CheckContext, notMeasured, type Observation, type ValidationPorts } from './checks/context.ts';
import { externalCiCheck } from './checks/external-ci.ts';
import { gateCheck } from './checks/gate.ts';
import { immutableAssetsCheck } from './checks/immutable-assets.ts';
import { logProbeCheck } from './checks/log-probe.ts';
import { migrationDriftCheck } from './checks/migration-drift.ts';
import { runtimeSmokeCheck } from './checks/runtime-smoke.ts';
import { laneOf, laneTarget } from './plan.ts';
import type { CheckResult, PlannedCheck, ReleaseSubject } from './types.ts';

// Runs the rows of a matrix through the ports, a few at a time, and never throws: a check whose target
// cannot be reached, that breaks, or that does not finish in time is an `error` row naming why, and the
// rest of the matrix runs on. Results come back in matrix order; `onResult` sees each as it lands. Each
// row runs in its own environment (its lane, target and token are that environment's), so the rows of
// several environments run as one matrix.

export const DEFAULT_CONCURRENCY = 4;
/** Longer than any gate's own timeout (http 10s by default); a check past it is reported, not awaited. */
export const DEFAULT_CHECK_TIMEOUT_MS = 60_000;

export interface RunMatrixInput {
  config: ShiftgateConfig;
  /** Each environment's matrix, by environment: every row's environment is here. */
  matrices: Readonly<Record<string, ValidationMatrix>>;
  plan: readonly PlannedCheck[];
  ports: ValidationPorts;
  /** The commit or image being released, when the run was told (`--sha`, `--image`). */
  subject?: ReleaseSubject;
  now?: () => Date;
  concurrency?: number;
  checkTimeoutMs?: number;
  onResult?: (index: number, result: CheckResult) => void | Promise<void>;
}

export async function runMatrix(input: RunMatrixInput): Promise<CheckResult[]> {
  const { config, matrices, plan, ports } = input;
  const now = input.now ?? (() => new Date());
  const timeoutMs = input.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  // Shared by the rows of one service in one environment (the same name is another service elsewhere).
  const describes = new Map<string, Promise<ServiceState>>();
  const tokens = new Map<string, Promise<string | undefined>>();

  function contextOf(row: PlannedCheck, signal: AbortSignal): CheckContext {
    const { env } = row;
    const target = laneTarget(config, row.service, env);
    const ref = { project: target.project, region: target.region, service: target.cloudRunService };
    const shared = `${env}/${row.service}`;
    return {
      config,
      env,
      lane: laneOf(matrices, row),
      target,
      now,
      signal,
      subject: input.subject ?? {},
      describe() {
        let read = describes.get(shared);
        if (!read) {
          read = ports.cloudRun.describe(ref);
          describes.set(shared, read);
        }
        return read;
      },
      accessToken() {
        let token = tokens.get(shared);
        if (!token) {
          const secret = target.accessToken;
          token =
            secret === undefined
              ? Promise.resolve(undefined)
              : ports.secrets
                ? ports.secrets.resolve(secret)
                : Promise.reject(new Error(`${secret.ref}: no secret resolver is configured`));
          tokens.set(shared, token);
        }
        return token;
      },
    };
  }

  async function observe(row: PlannedCheck, ctx: CheckContext): Promise<Observation> {
    switch (row.kind) {
      case 'gates':
        return gateCheck(row.check, config.gates[row.check] as Gate, ctx, ports);
      case 'migration-drift':
        return migrationDriftCheck(ctx, ports);
      case 'log-probe':
        return logProbeCheck(ctx, ports);
      case 'canary-status':
        return canaryStatusCheck(ctx, ports);
      case 'immutable-assets': {
        const lane = ctx.lane;
        if (lane.kind !== 'immutable-assets') throw new TypeError('an immutable-assets row of another lane');
        return immutableAssetsCheck(ctx, lane);
      }
      case 'external-ci':
        return externalCiCheck(ctx, ports);
      case 'backup':
        return backupCheck(ctx, ports);
      case 'runtime-smoke':
        return runtimeSmokeCheck(row.check, ctx, ports);
    }
  }

  async function runOne(row: PlannedCheck): Promise<CheckResult> {
    const started = Date.now();
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Observation>((resolve) => {
      timer = setTimeout(() => {
        abort.abort();
        const reason = `did not finish within ${formatDuration(timeoutMs)}`;
        resolve(notMeasured(`${row.lane} / ${row.check}`, '-', '-', reason));
      }, timeoutMs);
    });
    let observation: Observation;
    try {
      observation = await Promise.race([observe(row, contextOf(row, abort.signal)), late]);
    } catch (error) {
      const reason = `the check broke unexpectedly: ${messageOf(error)}`;
      observation = notMeasured(`${row.lane} / ${row.check}`, '-', '-', reason);
    } finally {
      clearTimeout(timer);
    }
    return { ...row, ...observation, at: now().toISOString(), durationMs: Date.now() - started };
  }

  const results: CheckResult[] = new Array(plan.length);
  let next = 0;
  async function worker() {
    while (next < plan.length) {
      const index = next++;
      const result = await runOne(plan[index] as PlannedCheck);
      results[index] = result;
      // A failing observer (a Redis write) must not stop the matrix: it reports its own failures.
      await Promise.resolve()
        .then(() => input.onResult?.(index, result))
        .catch(() => {});
    }
  }
  const workers = Math.max(1, Math.min(input.concurrency ?? DEFAULT_CONCURRENCY, plan.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
