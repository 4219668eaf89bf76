// The validation matrix's past runs (seed 002), as the promotion gate reads them: a canary into an
// environment that requires a GO looks for a recent one from the environment it names (src/validation
// writes them; the bot wires its records here). A run may cover several environments
// (`/validate staging prod`): it is in the history of each, with each environment's own verdict.

export interface RunVerdict {
  outcome: 'go' | 'no-go';
  reasons: string[];
}

export interface ValidationRunSummary {
  id: string;
  /** The environments the run covered. */
  envs: string[];
  mode: 'gating' | 'baseline';
  status: 'running' | 'finished' | 'abandoned';
  startedAt: string;
  finishedAt?: string;
  /** The verdict over every row of the run. */
  verdict?: RunVerdict;
  /** Each environment's own verdict, from its rows alone; absent in a run kept from before it existed. */
  verdicts?: Record<string, RunVerdict>;
}

export interface ValidationHistory {
  /** The newest runs that covered an environment, newest first. */
  recent(env: string, limit?: number): Promise<ValidationRunSummary[]>;
}

/**
 * The environment's own verdict in a run: from `verdicts`, or, for a run of that environment alone, the
 * run's verdict. Undefined when the run has none for it (unfinished, or it did not cover it).
 */
export function verdictFor<V extends RunVerdict>(
  run: { envs: readonly string[]; verdict?: V; verdicts?: Record<string, V> },
  env: string,
): V | undefined {
  const own = run.verdicts?.[env];
  if (own) return own;
  return run.envs.length === 1 && run.envs[0] === env ? run.verdict : undefined;
}
