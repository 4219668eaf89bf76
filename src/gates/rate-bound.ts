import { createSequentialErrorTest, DEFAULT_CONCENTRATION } from './sequential.ts';

// An absolute bound on a rate ("5xx below 1 %") judged as evidence, not as a point estimate: the gate
// fails only once the data shows, at the runbook's alpha, that the canary's rate is above the bound.
//
// Each request is an error with probability p. Under the null p <= bound, the mixture likelihood ratio of
// sequential.ts, with the bound in place of the traffic share and errors / successes in place of canary /
// stable errors, is a nonnegative supermartingale over requests; Ville's inequality keeps the chance that
// it ever reaches 1 / alpha at most alpha. So the test may be read at every tick on the stage's
// cumulative counts and a canary whose true rate is at or below the bound is failed at most alpha of the
// time, however long it is watched. A point estimate fails such a canary whenever noise lifts it over the
// bound, which at a stable rate near the bound is most of the time.
//
// The lower confidence limit shown beside it is the largest rate the data rules out at alpha (the same
// test inverted, by bisection): the gate fails exactly when that limit is above the bound. The upper
// limit, drawn with it as the stage chart's band (src/charts), is the mirror image: the same test with
// successes in place of errors rules out rates the data shows the canary to be below. Each edge holds at
// alpha on its own, so the band as a whole at 2 alpha; only the lower edge decides anything.

export interface RateBoundInput {
  errors: number;
  requests: number;
  /** The bound, in percent (0, 100). */
  boundPercent: number;
  /** False-failure rate, (0, 1). */
  alpha: number;
  concentration?: number;
}

export interface RateBoundTest {
  /** True when the rate is shown to be above the bound at alpha. */
  above: boolean;
  /** errors / requests, in percent. */
  pointPercent: number;
  /** The largest rate ruled out at alpha (0 when none is): the lower end of the confidence sequence. */
  lowerPercent: number;
  /** The smallest rate ruled out from above at alpha (100 when none is): the upper end, for the chart. */
  upperPercent: number;
  /** Anytime-valid p-value of "the rate is at most the bound". */
  pValue: number;
}

export function rateBoundTest(input: RateBoundInput): RateBoundTest {
  const { errors, requests, boundPercent, alpha } = input;
  if (!(requests >= errors && requests > 0)) {
    throw new RangeError(
      `need at least one request and no more errors than requests, not ${errors}/${requests}`,
    );
  }
  if (!(boundPercent > 0 && boundPercent < 100))
    throw new RangeError(`bound must be in (0, 100) %, not ${boundPercent}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be between 0 and 1, not ${alpha}`);
  const k = input.concentration ?? DEFAULT_CONCENTRATION;
  const logLine = -Math.log(alpha);
  const logBf = (p: number) => createSequentialErrorTest(p, k).logBayesFactor(errors, requests - errors);
  const atBound = logBf(boundPercent / 100);
  const pointPercent = (100 * errors) / requests;
  // Rates above the data: successes drawing more than their share 1 - q rule out every rate from q up.
  const logBfBelow = (q: number) =>
    createSequentialErrorTest(1 - q, k).logBayesFactor(requests - errors, errors);
  return {
    above: atBound >= logLine,
    pointPercent,
    lowerPercent: lowerLimit(logBf, logLine, pointPercent / 100) * 100,
    upperPercent: upperLimit(logBfBelow, logLine, pointPercent / 100) * 100,
    pValue: Math.min(1, Math.exp(-atBound)),
  };
}

/** The largest p in (0, point) the test rejects, by bisection on a log scale; 0 when none is. */
function lowerLimit(logBf: (p: number) => number, logLine: number, point: number): number {
  const floor = 1e-9;
  if (point <= floor || logBf(floor) < logLine) return 0;
  let low = Math.log(floor);
  let high = Math.log(Math.min(point, 1 - 1e-9));
  for (let i = 0; i < 40; i++) {
    const mid = (low + high) / 2;
    if (logBf(Math.exp(mid)) >= logLine) low = mid;
    else high = mid;
  }
  return Math.exp(low);
}

/** The smallest q in (point, 1) the mirrored test rejects, by bisection on a log scale; 1 when none is. */
function upperLimit(logBf: (q: number) => number, logLine: number, point: number): number {
  const ceiling = 1 - 1e-9;
  const from = Math.max(point, 1e-9);
  if (from >= ceiling || logBf(ceiling) < logLine) return 1;
  let low = Math.log(from);
  let high = Math.log(ceiling);
  for (let i = 0; i < 40; i++) {
    const mid = (low + high) / 2;
    if (logBf(Math.exp(mid)) >= logLine) high = mid;
    else low = mid;
  }
  return Math.exp(high);
}
