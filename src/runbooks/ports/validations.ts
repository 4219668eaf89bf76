// The validation matrix's past runs (seed 002), as the promotion gate reads them: a canary into an
// environment that requires a GO looks for a recent one from the environment it names (src/validation
// writes them; the bot wires its records here).

export interface ValidationRunSummary {
  id: string;
  env: string;
  mode: 'gating' | 'baseline';
  status: 'running' | 'finished' | 'abandoned';
  startedAt: string;
  finishedAt?: string;
  verdict?: { outcome: 'go' | 'no-go'; reasons: string[] };
}

export interface ValidationHistory {
  /** The newest runs of an environment, newest first. */
  recent(env: string, limit?: number): Promise<ValidationRunSummary[]>;
}
