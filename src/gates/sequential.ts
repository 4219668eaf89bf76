// An anytime-valid sequential test for error counts of a canary against its stable revision, after
// Lindon & Malek, "Anytime-valid inference for multinomial count data" (NeurIPS 2022).
//
// Requests are sent to the canary with probability rho (its traffic share). If the canary is no worse
// than stable, every error is the canary's with probability at most rho, independently of the others:
// the canary's share of the first n errors is Binomial(n, p) with p <= rho. Against that null the test
// mixes the likelihood ratio of every worse share p > rho over a Beta(k rho, k (1 - rho)) prior centred
// at rho and truncated to p > rho:
//
//   BF(x, y) = ∫_{p > rho} p^x (1 - p)^y Beta(p; a, b) dp / (Z rho^x (1 - rho)^y),  a = k rho, b = k (1 - rho)
//
// with x canary errors, y stable errors and Z the prior's mass above rho. In closed form:
//
//   BF = B(a + x, b + y) (1 - I_rho(a + x, b + y)) / (B(a, b) (1 - I_rho(a, b)) rho^x (1 - rho)^y)
//
// Why it is anytime-valid: for one p > rho, the ratio (p / rho)^x ((1 - p) / (1 - rho))^y grows by
// p / rho on a canary error and by (1 - p) / (1 - rho) on a stable one, so its expected growth per
// error under a true share q is q p / rho + (1 - q)(1 - p) / (1 - rho), which is 1 at q = rho and
// below 1 for every q < rho: a nonnegative supermartingale starting at 1. A mixture of such over any
// prior is one too, so Ville's inequality gives P(BF ever reaches 1 / alpha) <= alpha. The test may
// be read after every error, or at every gate tick, and stopped whenever: the false-alarm rate stays
// at most alpha. Truncating the prior to p > rho makes the test one-sided (only a canary that draws
// MORE than its share of errors counts as evidence) and keeps it valid for the whole composite null
// p <= rho: a canary that is better than stable never builds evidence against itself. An untruncated
// prior centred at rho would be valid at p = rho only, and would also grow on a canary that is better.
//
// The counts must be cumulative from a fixed start at a fixed share (one stage): each tick reads the
// window from the stage start to now. A sliding window makes every tick a valid test on its own, but
// not the sequence of them.
//
// The prior's concentration k sets which regressions the test is quickest to find: the prior's spread
// around rho is about sqrt(rho (1 - rho) / k). See DEFAULT_CONCENTRATION for the choice and
// bench/sequential.ts for the figures behind it.

/**
 * Concentration k of the Beta(k rho, k (1 - rho)) prior. At rho = 5 %, k = 10 gives the truncated
 * prior a median canary error share of 10 % and a 90th percentile of 22 %: canary error rates of about
 * 2x and 5x stable's, the regressions a canary exists to catch. Measured with bench/sequential.ts
 * (docs/benchmarks.md): at 5 % traffic it detects 5x about as fast as any k from 1 to 30 and 2x as fast
 * as any; k = 100 (median 1.3x, 90th percentile 1.9x) is tuned to small regressions and takes about
 * 1.6 times as many canary requests to see 5x; k = 1 is about 15 % slower at 2x.
 */
export const DEFAULT_CONCENTRATION = 10;

export interface SequentialErrorCounts {
  /** Errors served by the canary since the start of the stage. */
  canaryErrors: number;
  /** Errors served by the stable revision over the same time. */
  stableErrors: number;
  /** The canary's traffic share, strictly between 0 and 1. */
  rho: number;
  /** False-alarm rate, strictly between 0 and 1: reject once BF >= 1 / alpha. */
  alpha: number;
  /** Prior concentration k; default DEFAULT_CONCENTRATION. */
  concentration?: number;
}

export interface SequentialErrorTest {
  /** True when the evidence that the canary draws more than its share of errors reached 1 / alpha. */
  reject: boolean;
  /** Natural log of the mixture Bayes factor; log(1 / alpha) is the rejection line. */
  logBayesFactor: number;
  /** Anytime-valid p-value of the current counts, min(1, 1 / BF). */
  pValue: number;
  canaryErrors: number;
  stableErrors: number;
  rho: number;
}

/** The sequential test on the counts so far. Throws a RangeError on counts or parameters out of range. */
export function sequentialErrorTest(counts: SequentialErrorCounts): SequentialErrorTest {
  const { canaryErrors, stableErrors, rho, alpha } = counts;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be between 0 and 1, not ${alpha}`);
  const test = createSequentialErrorTest(rho, counts.concentration);
  const logBayesFactor = test.logBayesFactor(canaryErrors, stableErrors);
  return {
    reject: logBayesFactor >= -Math.log(alpha),
    logBayesFactor,
    pValue: Math.min(1, Math.exp(-logBayesFactor)),
    canaryErrors,
    stableErrors,
    rho,
  };
}

/**
 * The test for one share and prior, with the prior's constants computed once: for the simulations,
 * which read it after every error.
 */
export function createSequentialErrorTest(
  rho: number,
  concentration = DEFAULT_CONCENTRATION,
): { logBayesFactor(canaryErrors: number, stableErrors: number): number } {
  if (!(rho > 0 && rho < 1)) throw new RangeError(`the canary share must be between 0 and 1, not ${rho}`);
  if (!(concentration > 0 && Number.isFinite(concentration))) {
    throw new RangeError(`the prior concentration must be positive, not ${concentration}`);
  }
  const a = concentration * rho;
  const b = concentration * (1 - rho);
  const logPrior = logBeta(a, b) + logUpperTail(rho, a, b);
  const logRho = Math.log(rho);
  const logNotRho = Math.log1p(-rho);
  return {
    logBayesFactor(canaryErrors: number, stableErrors: number): number {
      const x = wholeCount(canaryErrors, 'canary errors');
      const y = wholeCount(stableErrors, 'stable errors');
      const logMixture = logBeta(a + x, b + y) + logUpperTail(rho, a + x, b + y);
      return logMixture - logPrior - x * logRho - y * logNotRho;
    },
  };
}

function wholeCount(count: number, name: string): number {
  if (!(Number.isInteger(count) && count >= 0)) {
    throw new RangeError(`${name} must be a whole number of at least 0, not ${count}`);
  }
  return count;
}

// Lanczos approximation (g = 7, 9 terms), about 15 significant digits for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** log(1 - I_x(a, b)), the log of the Beta(a, b) mass above x, accurate when that mass is tiny. */
function logUpperTail(x: number, a: number, b: number): number {
  return logRegularizedBeta(1 - x, b, a);
}

/** log I_x(a, b), the regularized incomplete beta function, by its continued fraction. */
export function logRegularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return Number.NEGATIVE_INFINITY;
  if (x >= 1) return 0;
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b);
  if (x < (a + 1) / (a + b + 2)) return logFront - Math.log(a) + Math.log(betaFraction(x, a, b));
  // The other side converges faster; I_x(a, b) = 1 - I_{1-x}(b, a), which is at least about 1/2 here.
  return Math.log1p(-Math.exp(logFront - Math.log(b)) * betaFraction(1 - x, b, a));
}

/** The continued fraction of I_x(a, b) (modified Lentz), for x < (a + 1) / (a + b + 2). */
function betaFraction(x: number, a: number, b: number): number {
  const guard = (value: number) => (Math.abs(value) < 1e-300 ? 1e-300 : value);
  let c = 1;
  let d = 1 / guard(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 / guard(1 + even * d);
    c = guard(1 + even / c);
    h *= d * c;
    const odd = -((a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 / guard(1 + odd * d);
    c = guard(1 + odd / c);
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) return h;
  }
  return h;
}
