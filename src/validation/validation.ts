import type { ShiftgateConfig } from '../config/schema.ts';
import { messageOf } from '../gates/error-result.ts';
import type { Store } from '../store/index.ts';
import { timedId } from '../store/time.ts';
import type { ValidationPorts } from './checks/context.ts';
import { planOf } from './plan.ts';
import { createValidationRecords, type ValidationRecords } from './records.ts';
import { runMatrix } from './runner.ts';
import type { CheckResult, ReleaseSubject, ValidationMode, ValidationRun } from './types.ts';
import { verdictOf, verdictsOf } from './verdict.ts';

// Validation runs as the Slack surface uses them: begin (claim the environments, record the run, audit
// who asked), execute (run the matrix, saving each result as it lands, then the verdicts; audited;
// releases the claims), or abandon a run that cannot go on. Every step writes to Redis before the next
// one acts, so whatever was measured is kept even when posting it somewhere fails. A run over several
// environments (`/validate staging prod`) is one run: one id, one claim of all its environments taken
// at once, one matrix of every environment's rows, a verdict per environment and one overall.

export interface ValidationDeps extends Omit<ValidationPorts, 'store'> {
  config: ShiftgateConfig;
  store: Store;
  now?: () => Date;
  /** New run ids; default `val-<env>[-<env>...]-<yyyymmddThhmmss>-<4 hex>`. */
  newId?: (envs: readonly string[], now: Date) => string;
  log?: { warn(message: string, fields?: object): void; error(message: string, fields?: object): void };
  concurrency?: number;
  checkTimeoutMs?: number;
}

export type BeginResult =
  | { ok: true; run: ValidationRun }
  | {
      ok: false;
      reason: 'unknown-environment' | 'no-matrix' | 'duplicate-environment' | 'unknown-phase';
      message: string;
    }
  | {
      ok: false;
      reason: 'running';
      message: string;
      /** The run under way, and the environment of this run it holds. */
      holder: string;
      env: string;
      running?: ValidationRun;
    };

/**
 * What a run is asked to validate: its environments, one (`env`) or several (`envs`, in the order
 * asked), and optionally a phase and the release's commit or image.
 */
export type BeginInput = ({ env: string } | { envs: readonly string[] }) & {
  mode: ValidationMode;
  requestedBy: string;
  /** Plans the lanes limited to this phase too (`--phase`); an unknown one is refused. */
  phase?: string;
  subject?: ReleaseSubject;
};

export interface Validation {
  /**
   * Checks each environment has a matrix and no run under way in any of them, then records the run
   * (status running).
   */
  begin(input: BeginInput): Promise<BeginResult>;
  /** Runs a begun run's checks and its verdict; never rejects. `onResult` sees each result as it lands. */
  execute(
    run: ValidationRun,
    hooks?: { onResult?: (result: CheckResult, run: ValidationRun) => void | Promise<void> },
  ): Promise<ValidationRun>;
  /** Ends a begun run without running it (its card could not be posted, say), saying why. */
  abandon(run: ValidationRun, why: string): Promise<ValidationRun>;
  /** Records a note on a finished run (what went wrong publishing it). */
  note(run: ValidationRun, note: string): Promise<ValidationRun>;
  get(runId: string): Promise<ValidationRun | undefined>;
  readonly records: ValidationRecords;
  /** Counts `work` (publishing a run's files and card) as this replica's, until it settles. */
  track(work: Promise<unknown>): void;
  /** Resolves when no run executes, and nothing tracked is under way, in this replica. */
  idle(): Promise<void>;
}

function defaultId(envs: readonly string[], now: Date): string {
  return timedId(`val-${envs.join('-')}`, now);
}

export function createValidation(deps: ValidationDeps): Validation {
  const { config, store } = deps;
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? defaultId;
  const records = createValidationRecords(store.redis, store.keys);
  const ports: ValidationPorts = { ...deps, store };
  const executing = new Set<Promise<unknown>>();

  const warn = (message: string, fields: object) => deps.log?.warn(message, fields);

  async function audit(what: string, run: ValidationRun, who: string, after: object) {
    try {
      await store.audit.append({
        who,
        what,
        env: run.envs.join(','),
        reason: run.mode,
        after: { runId: run.id, ...(run.envs.length > 1 ? { envs: run.envs } : {}), ...after },
      });
    } catch (error) {
      // The run is recorded under its own key; a missing audit line must not stop it.
      deps.log?.error('audit append failed', { runId: run.id, what, error: messageOf(error) });
    }
  }

  async function begin(input: BeginInput): Promise<BeginResult> {
    const envs = 'envs' in input ? [...input.envs] : [input.env];
    const planned = planOf(config, envs, input.phase === undefined ? {} : { phase: input.phase });
    if (!planned.ok) return planned;
    const startedAt = now();
    const id = newId(envs, startedAt);
    const claimed = await records.claim(envs, id);
    if (!claimed.ok) {
      const running = await records.get(claimed.holder).catch(() => undefined);
      return {
        ok: false,
        reason: 'running',
        holder: claimed.holder,
        env: claimed.env,
        ...(running ? { running } : {}),
        message: `a validation of ${claimed.env} is already running (${claimed.holder})`,
      };
    }
    const descriptions = Object.fromEntries(
      envs.flatMap((env) => {
        const description = planned.matrices[env]?.description;
        return description ? [[env, description]] : [];
      }),
    );
    const run: ValidationRun = {
      id,
      envs,
      mode: input.mode,
      requestedBy: input.requestedBy,
      status: 'running',
      startedAt: startedAt.toISOString(),
      ...(Object.keys(descriptions).length > 0 ? { descriptions } : {}),
      ...(input.phase === undefined ? {} : { phase: input.phase }),
      ...(input.subject && (input.subject.sha || input.subject.image) ? { subject: input.subject } : {}),
      targets: planned.targets,
      plan: planned.plan,
      results: [],
    };
    try {
      await records.save(run);
    } catch (error) {
      await records.release(envs, id).catch(() => {});
      throw error;
    }
    await audit('validation.start', run, input.requestedBy, { mode: run.mode, checks: run.plan.length });
    for (const env of envs) await abandonLapsed(env, id);
    return { ok: true, run };
  }

  /**
   * Runs still marked running whose claim has lapsed (this new run holds it now): the replica running them
   * stopped or died before they finished. They are closed as abandoned, so their cards and `/validate
   * files` stop saying "running".
   */
  async function abandonLapsed(env: string, current: string): Promise<void> {
    const recent = await records.recent(env, 20).catch(() => []);
    for (const stale of recent) {
      if (stale.id === current || stale.status !== 'running') continue;
      await abandon(stale, 'the replica running it stopped before it finished; run it again');
    }
  }

  async function execute(
    begun: ValidationRun,
    hooks: { onResult?: (result: CheckResult, run: ValidationRun) => void | Promise<void> } = {},
  ): Promise<ValidationRun> {
    const planned = planOf(config, begun.envs, begun.phase === undefined ? {} : { phase: begun.phase });
    const run: ValidationRun = { ...begun, results: [] };
    const slots: (CheckResult | undefined)[] = new Array(run.plan.length);
    // Saves are chained: each writes the results so far, in matrix order, after the one before it.
    let saving: Promise<void> = Promise.resolve();
    const save = () => {
      const snapshot = structuredClone(run);
      saving = saving
        .then(() => records.save(snapshot))
        .catch((error: unknown) =>
          warn('validation run not saved', { runId: run.id, error: messageOf(error) }),
        );
      return saving;
    };
    const work = (async () => {
      if (planned.ok) {
        await runMatrix({
          config,
          matrices: planned.matrices,
          plan: run.plan,
          ports,
          ...(run.subject ? { subject: run.subject } : {}),
          now,
          ...(deps.concurrency === undefined ? {} : { concurrency: deps.concurrency }),
          ...(deps.checkTimeoutMs === undefined ? {} : { checkTimeoutMs: deps.checkTimeoutMs }),
          onResult: async (index, result) => {
            slots[index] = result;
            run.results = slots.filter((r): r is CheckResult => r !== undefined);
            await save();
            await Promise.resolve(hooks.onResult?.(result, run)).catch((error: unknown) =>
              warn('validation progress hook failed', { runId: run.id, error: messageOf(error) }),
            );
          },
        });
      } else {
        run.note = `the matrix is gone from the config: ${planned.message}`;
      }
      run.status = 'finished';
      run.finishedAt = now().toISOString();
      run.verdict = verdictOf(run.results, run.mode);
      run.verdicts = verdictsOf(run.envs, run.results, run.mode);
      await save();
      await audit('validation.finish', run, 'shiftgate', {
        outcome: run.verdict.outcome,
        mode: run.mode,
        counts: run.verdict.counts,
        ...(run.envs.length > 1
          ? { outcomes: Object.fromEntries(Object.entries(run.verdicts).map(([env, v]) => [env, v.outcome])) }
          : {}),
      });
      await records
        .release(run.envs, run.id)
        .catch((error: unknown) =>
          warn('validation claim not released (it expires)', { runId: run.id, error: messageOf(error) }),
        );
      return run;
    })();
    executing.add(work);
    try {
      return await work;
    } finally {
      executing.delete(work);
    }
  }

  async function abandon(begun: ValidationRun, why: string): Promise<ValidationRun> {
    const run: ValidationRun = { ...begun, status: 'abandoned', finishedAt: now().toISOString(), note: why };
    await records
      .save(run)
      .catch((error: unknown) =>
        warn('validation run not saved', { runId: run.id, error: messageOf(error) }),
      );
    await audit('validation.abandon', run, 'shiftgate', { why });
    await records.release(run.envs, run.id).catch(() => {});
    return run;
  }

  async function note(run: ValidationRun, text: string): Promise<ValidationRun> {
    const noted = { ...run, note: run.note ? `${run.note}; ${text}` : text };
    await records.save(noted);
    return noted;
  }

  return {
    begin,
    execute,
    abandon,
    note,
    get: (runId) => records.get(runId),
    records,
    track(work) {
      const settled = work.then(
        () => undefined,
        () => undefined,
      );
      executing.add(settled);
      void settled.then(() => executing.delete(settled));
    },
    async idle() {
      while (executing.size > 0) await Promise.allSettled([...executing]);
    },
  };
}
