import { verdictFor } from '../runbooks/ports/validations.ts';
import type { CheckResult, ValidationMode, ValidationRun, Verdict, VerdictCounts } from './types.ts';

// Seed 002's Go/No-Go policy, exactly:
//   1. All required checks must pass.
//   2. Required checks cannot be skipped in release gating mode.
//   3. Any required failure forces no-go until fixed and rerun.
// A required check that could not be measured (`error`: its target unreachable) did not pass either, so
// it is a no-go too. Optional checks never decide: a failed, errored or skipped optional check is a
// warning on a go. Baseline mode (the seed's FAIL_ON_REQUIRED_FAILURE=0, "pre-cutover baseline capture
// only") runs the same checks and reaches the same outcome as the seed's script does, but records it
// without gating: the verdict says so, and nothing may treat it as a go.
//
// A run over several environments has a verdict per environment, from that environment's rows alone (what
// the promotion gate reads: staging's rows all passing is a staging GO whatever prod said), and one over
// every row, which names each row's environment and is a go only when every environment's is.

export function verdictOf(results: readonly CheckResult[], mode: ValidationMode): Verdict {
  const severalEnvs = new Set(results.map((r) => r.env)).size > 1;
  const counts: VerdictCounts = {
    total: results.length,
    passed: 0,
    requiredFailed: 0,
    optionalFailed: 0,
    requiredErrors: 0,
    optionalErrors: 0,
    requiredSkipped: 0,
    optionalSkipped: 0,
  };
  const reasons: string[] = [];
  const warnings: string[] = [];
  for (const r of results) {
    const name = `${r.lane} / ${r.check} (${severalEnvs ? `${r.service} in ${r.env}` : r.service})`;
    const why = r.reason ? `: ${r.reason}` : '';
    if (r.status === 'pass') {
      counts.passed += 1;
      continue;
    }
    if (r.required) {
      if (r.status === 'fail') {
        counts.requiredFailed += 1;
        reasons.push(`required check ${name} failed${why}`);
      } else if (r.status === 'error') {
        counts.requiredErrors += 1;
        reasons.push(`required check ${name} could not be measured${why}`);
      } else {
        counts.requiredSkipped += 1;
        reasons.push(
          `required check ${name} was skipped${why}; required checks cannot be skipped in gating mode`,
        );
      }
    } else if (r.status === 'fail') {
      counts.optionalFailed += 1;
      warnings.push(`optional check ${name} failed${why}`);
    } else if (r.status === 'error') {
      counts.optionalErrors += 1;
      warnings.push(`optional check ${name} could not be measured${why}`);
    } else {
      counts.optionalSkipped += 1;
      warnings.push(`optional check ${name} was skipped${why}`);
    }
  }
  // Nothing measured is nothing proven: a matrix with no results is never a go.
  if (results.length === 0) reasons.push('no check ran: nothing was validated');
  return { mode, outcome: reasons.length === 0 ? 'go' : 'no-go', counts, reasons, warnings };
}

/** Each environment's verdict from its own rows: a check elsewhere never decides an environment. */
export function verdictsOf(
  envs: readonly string[],
  results: readonly CheckResult[],
  mode: ValidationMode,
): Record<string, Verdict> {
  return Object.fromEntries(
    envs.map((env) => [
      env,
      verdictOf(
        results.filter((r) => r.env === env),
        mode,
      ),
    ]),
  );
}

/** An environment's own verdict in a run: its entry in `verdicts`, or a one-environment run's verdict. */
export const verdictIn: (
  run: Pick<ValidationRun, 'envs' | 'verdict' | 'verdicts'>,
  env: string,
) => Verdict | undefined = verdictFor;

/** 'GO', 'GO with 2 warnings', 'NO-GO', 'BASELINE (would be NO-GO)': the verdict in a few words. */
export function verdictTitle(verdict: Verdict): string {
  const outcome = verdict.outcome === 'go' ? 'GO' : 'NO-GO';
  if (verdict.mode === 'baseline') return `BASELINE, not a gate (would be ${outcome})`;
  const n = verdict.warnings.length;
  if (verdict.outcome === 'go' && n > 0) return `GO with ${n} warning${n === 1 ? '' : 's'}`;
  return outcome;
}

/** One sentence saying what the verdict means and why. */
export function verdictSentence(verdict: Verdict): string {
  const { counts } = verdict;
  const notPassed = counts.requiredFailed + counts.requiredErrors + counts.requiredSkipped;
  const cause =
    verdict.outcome === 'go'
      ? `every required check passed (${counts.passed} of ${counts.total} checks passed)`
      : `${notPassed} required check${notPassed === 1 ? '' : 's'} did not pass`;
  if (verdict.mode === 'baseline') {
    return `Baseline capture: recorded without gating, so this is no go/no-go decision. In gating mode it would be ${verdict.outcome === 'go' ? 'a go' : 'a no-go'}: ${cause}.`;
  }
  if (verdict.outcome === 'no-go') return `No-go: ${cause}. Fix them and run the validation again.`;
  const warned = verdict.warnings.length;
  return warned > 0
    ? `Go: ${cause}; ${warned} optional check${warned === 1 ? '' : 's'} did not.`
    : `Go: ${cause}.`;
}

/** An environment's verdict in a run over several, in a few words: 'GO', 'NO-GO', 'would be NO-GO'. */
function shortTitle(verdict: Verdict): string {
  if (verdict.mode === 'baseline') return `would be ${verdict.outcome === 'go' ? 'GO' : 'NO-GO'}`;
  return verdictTitle(verdict);
}

/**
 * A run's verdict in a few words; a run over several environments adds each one's:
 * 'NO-GO (staging GO, prod NO-GO)'.
 */
export function runVerdictTitle(run: Pick<ValidationRun, 'envs' | 'verdict' | 'verdicts'>): string {
  if (!run.verdict) return 'no verdict';
  const title = verdictTitle(run.verdict);
  if (run.envs.length < 2) return title;
  const each = run.envs.map((env) => {
    const own = verdictIn(run, env);
    return `${env} ${own ? shortTitle(own) : 'no verdict'}`;
  });
  return `${title} (${each.join(', ')})`;
}
