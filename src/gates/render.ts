import type { GateKind } from '../config/gates.ts';
import type { GateResult, GateStatus, Quantity } from './result.ts';

// One human line per gate result, for Slack and the logs. It always shows what was observed (and the
// baseline and sample size when there are some) before the verdict: users of Flagger and Argo complain
// of failure messages that hide the value, so a line never says only "threshold exceeded".
//
//   p95 latency 412 ms vs stable 300 ms over 5,210 requests (+37.3 %, limit +20 %): FAIL
//   5xx rate 0.4 % of 5,210 requests (limit < 1 %): pass
//   GET /healthz 503 in 40 ms (expected status 200): FAIL
//   route /login -> legacy (expected rust_shell): FAIL
//   domain staging.example.com -> svc, Ready=Unknown, CertificateProvisioned=Unknown (mapping pending: ...): inconclusive
//   5xx rate 0 % of 12 requests (needs 100): inconclusive
//   5xx rate could not be measured: monitoring unavailable: ERROR
//
// Providers write `reason` short and without repeating the observed value: the line already has it.

const VERDICT: Record<GateStatus, string> = {
  pass: 'pass',
  fail: 'FAIL',
  inconclusive: 'inconclusive',
  error: 'ERROR',
  skipped: 'skipped',
};

/** Probes (one request, one evaluation) say "expected"; measurements over a window say "limit". */
const PROBE_KINDS: ReadonlySet<GateKind> = new Set(['http', 'sse-contract', 'route-split', 'domain-mapping']);

const SAMPLES_UNIT: Partial<Record<GateKind, string>> = {
  'cloud-monitoring': 'requests',
  'cloud-logging': 'log entries',
  prometheus: 'series',
};

/** Units that are a kind of value rather than a unit to print: "503", "legacy", a domain mapping's state. */
const SILENT_UNITS = new Set(['status', 'target', 'mapping']);

/** Kinds whose observed value is where something goes: "route /login -> legacy". */
const ARROW_KINDS: ReadonlySet<GateKind> = new Set(['route-split', 'domain-mapping']);

export function renderGate(result: GateResult): string {
  const verdict = VERDICT[result.status];
  if (result.status === 'error') {
    const seen = result.observed ? ` ${formatQuantity(result.observed)}` : '';
    return `${result.metric}${seen} could not be measured: ${result.reason ?? 'no reason given'}: ${verdict}`;
  }
  if (result.status === 'skipped') return `${result.metric}: skipped (${result.reason ?? 'not applicable'})`;
  const head = `${result.metric}${observedPart(result)}${baselinePart(result)}${samplesPart(result)}`;
  return `${head} (${detail(result)}): ${verdict}`;
}

function observedPart(result: GateResult): string {
  if (!result.observed) return ' (nothing observed)';
  const joiner = ARROW_KINDS.has(result.kind) ? ' -> ' : ' ';
  const latency = result.latencyMs === undefined ? '' : ` in ${formatNumber(result.latencyMs)} ms`;
  return `${joiner}${formatQuantity(result.observed)}${latency}`;
}

function baselinePart(result: GateResult): string {
  if (!result.baseline) return '';
  // Prometheus deltas compare with the value captured before the change; the others with stable.
  const label = result.kind === 'prometheus' ? 'before' : 'stable';
  return ` vs ${label} ${formatQuantity(result.baseline)}`;
}

function samplesPart(result: GateResult): string {
  const unit = result.samplesUnit ?? SAMPLES_UNIT[result.kind];
  if (!unit || PROBE_KINDS.has(result.kind)) return '';
  if (result.kind === 'prometheus') {
    // One series is the normal case; several were summed (providers/prometheus.ts), which the line says.
    return result.samples > 1 ? ` (sum of ${formatNumber(result.samples)} ${unit})` : '';
  }
  const joiner = result.observed?.unit === '%' ? 'of' : 'over';
  return ` ${joiner} ${formatNumber(result.samples)} ${unit}`;
}

function detail(result: GateResult): string {
  if (result.status === 'inconclusive') return result.reason ?? `limit ${result.threshold}`;
  if (PROBE_KINDS.has(result.kind)) {
    // A probe's reason names the rule that broke and what was seen; a pass shows what was expected.
    if (result.status === 'fail' && result.reason) return result.reason;
    return `expected ${result.threshold}`;
  }
  const change = changeText(result);
  const parts = [change, `limit ${result.threshold}`].filter((p) => p !== undefined);
  const text = parts.join(', ');
  return result.reason ? `${text}; ${result.reason}` : text;
}

/**
 * The change from the baseline in the terms of the threshold: relative when the limit is a percentage
 * ("+37.3 %"), a ratio when it is one ("4x"), otherwise the difference in the value's unit ("+120 ms").
 */
export function changeText(result: Pick<GateResult, 'observed' | 'baseline' | 'threshold'>) {
  const now = result.observed?.value;
  const before = result.baseline?.value;
  if (typeof now !== 'number' || typeof before !== 'number') return undefined;
  if (Number.isNaN(now) || Number.isNaN(before)) return undefined;
  if (/\d\s*x\b/.test(result.threshold) && before !== 0) return `${formatNumber(now / before)}x`;
  if (result.threshold.includes('%') && before !== 0) {
    return `${signed((100 * (now - before)) / Math.abs(before))} %`;
  }
  const unit = result.observed?.unit && !SILENT_UNITS.has(result.observed.unit) ? result.observed.unit : '';
  return `${signed(now - before)}${unit ? ` ${unit}` : ''}`;
}

export function formatQuantity(quantity: Quantity): string {
  const value = typeof quantity.value === 'number' ? formatNumber(quantity.value) : quantity.value;
  if (!quantity.unit || SILENT_UNITS.has(quantity.unit)) return value;
  return `${value} ${quantity.unit}`;
}

const GROUPED = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const SIGNIFICANT = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });

/** 5210 -> "5,210", 412.34 -> "412", 37.33 -> "37.3", 0.00432 -> "0.00432"; NaN and infinities spelt out. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(value) || Math.abs(value) >= 1000) return GROUPED.format(value);
  return SIGNIFICANT.format(value);
}

/** "14:03:00Z": the time of day of an ISO instant, as gate lines and judge reasons show it. */
export function clockOf(iso: string): string {
  return `${iso.slice(11, 19)}Z`;
}

function signed(value: number): string {
  return value > 0 ? `+${formatNumber(value)}` : formatNumber(value);
}
