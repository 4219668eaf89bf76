import { type Gate, THRESHOLD_PROFILES } from '../../config/gates.ts';
import { shellQuote } from '../curl.ts';
import { errorResult, messageOf } from '../error-result.ts';
import type { InstantQueryResult, Prometheus } from '../ports/prometheus.ts';
import { formatNumber } from '../render.ts';
import type { GateContext, GateOf, GateProvider, GateResult, Quantity } from '../result.ts';

// PromQL instant queries judged by seed 003's rules: max/min are absolute bounds; delta, delta-percent
// and any-increase compare with the value captured before the change (captureBefore, run by the engine
// before it shifts traffic, into ctx.before). Profiles give the seed's thresholds by name: delta-percent
// takes errorRateDeltaPercent, delta takes latencyP95DeltaMs (so such a query must answer milliseconds:
// multiply a _seconds histogram by 1000). any-increase fails the stage at once (failFast).
//
// Several series in the answer are summed, as sum(...) would: the answer stays comparable with the value
// captured before, and an increase in any one counter series (golden_mismatch per instance) shows. The
// line says "sum of N series". Write max(...) in the query to judge the worst series instead.
// An empty answer or NaN (0/0: no traffic) is inconclusive; Prometheus unreachable or refusing the query
// is error, and the judge lets the stage continue with a warning (seed 003: "continue (warn)").

type PrometheusGate = GateOf<'prometheus'>;

/** A Prometheus client for the gate's own url, or the service environment's when undefined. */
export type PrometheusFactory = (url: string | undefined) => Prometheus;

const DELTA_RULES: ReadonlySet<PrometheusGate['rule']> = new Set(['delta', 'delta-percent', 'any-increase']);

export function createPrometheusGate(deps: { prometheus: PrometheusFactory }): GateProvider<PrometheusGate> {
  async function evaluate(name: string, gate: PrometheusGate, ctx: GateContext): Promise<GateResult> {
    const at = ctx.now();
    const metric = gate.query.length <= 60 ? gate.query : `${name} query`;
    const { limit, unit } = limitOf(gate);
    const threshold = thresholdText(gate.rule, limit, unit);
    const evidence = queryEvidence(gate, at);
    const base = {
      gate: name,
      kind: 'prometheus' as const,
      metric,
      threshold,
      evidence,
      at: at.toISOString(),
    };
    const rawBefore = ctx.before?.[name];
    const before = rawBefore === undefined || Number.isNaN(rawBefore) ? undefined : rawBefore;
    const baseline: Quantity | undefined = before === undefined ? undefined : quantity(before, unit);
    const failFast = gate.rule === 'any-increase' ? { failFast: true } : {};

    let answer: InstantQueryResult;
    try {
      answer = await deps.prometheus(gate.url ?? ctx.prometheusUrl).query(gate.query, at);
    } catch (error) {
      return {
        ...errorResult(name, gate, ctx, { metric, threshold, evidence, reason: messageOf(error) }),
        ...failFast,
      };
    }
    const reading = readAnswer(answer);
    const notes = answer.warnings.length > 0 ? [`Prometheus warns: ${answer.warnings.join('; ')}`] : [];
    const common = { ...base, ...failFast, samples: reading.series, samplesUnit: 'series' };
    const inconclusive = (why: string, observed?: Quantity): GateResult => ({
      ...common,
      status: 'inconclusive',
      reason: [why, ...notes].join('; '),
      ...(observed ? { observed } : {}),
      ...(baseline ? { baseline } : {}),
    });

    if (reading.series === 0) return inconclusive('the query matched no series');
    const value = reading.value;
    const observed = quantity(value, unit);
    if (Number.isNaN(value)) return inconclusive('Prometheus answered NaN (0/0: no traffic?)', observed);
    if (DELTA_RULES.has(gate.rule) && before === undefined) {
      return inconclusive('no value was captured before the change to compare with', observed);
    }

    const judged = judge(gate.rule, value, before ?? 0, limit);
    return {
      ...common,
      status: judged.fail ? 'fail' : 'pass',
      observed,
      ...(baseline ? { baseline } : {}),
      ...(judged.reason || notes.length > 0
        ? { reason: [judged.reason, ...notes].filter(Boolean).join('; ') }
        : {}),
    };
  }
  return { evaluate };
}

function judge(rule: PrometheusGate['rule'], value: number, before: number, limit: number) {
  switch (rule) {
    case 'max':
      return { fail: value > limit };
    case 'min':
      return { fail: value < limit };
    case 'delta':
      return { fail: value - before > limit };
    case 'delta-percent':
      // From 0, any rise is an unbounded relative increase: failing it is the safe reading.
      if (before === 0) return value > 0 ? { fail: true, reason: 'rose from 0' } : { fail: false };
      return { fail: (100 * (value - before)) / Math.abs(before) > limit };
    case 'any-increase':
      return { fail: value > before };
  }
}

/** The gate's limit (its own, or its profile's) and the unit that implies. */
export function limitOf(gate: PrometheusGate): { limit: number; unit?: string } {
  if (gate.limit !== undefined || gate.profile === undefined) return { limit: gate.limit ?? 0 };
  const profile = THRESHOLD_PROFILES[gate.profile];
  return gate.rule === 'delta'
    ? { limit: profile.latencyP95DeltaMs, unit: 'ms' }
    : { limit: profile.errorRateDeltaPercent };
}

function thresholdText(rule: PrometheusGate['rule'], limit: number, unit: string | undefined): string {
  const n = `${formatNumber(limit)}${unit ? ` ${unit}` : ''}`;
  const signed = limit >= 0 ? `+${n}` : n;
  switch (rule) {
    case 'max':
      return `<= ${n}`;
    case 'min':
      return `>= ${n}`;
    case 'delta':
      return signed;
    case 'delta-percent':
      return `${limit >= 0 ? '+' : ''}${formatNumber(limit)} %`;
    case 'any-increase':
      return 'no increase';
  }
}

const quantity = (value: number, unit: string | undefined): Quantity => (unit ? { value, unit } : { value });

/** The summed value and how many series stood behind it; a scalar is one series. */
function readAnswer(answer: InstantQueryResult): { value: number; series: number } {
  if (answer.resultType === 'scalar') return { value: answer.value, series: 1 };
  return { value: answer.samples.reduce((sum, s) => sum + s.value, 0), series: answer.samples.length };
}

/** A curl line when the gate names its Prometheus; otherwise the query and its evaluation time. */
function queryEvidence(gate: PrometheusGate, at: Date): string {
  const time = (at.getTime() / 1000).toFixed(3);
  if (!gate.url) return `PromQL at ${at.toISOString()} (time=${time}): ${gate.query}`;
  const url = `${gate.url.replace(/\/+$/, '')}/api/v1/query`;
  return `curl -sS ${shellQuote(url)} --data-urlencode ${shellQuote(`query=${gate.query}`)} --data-urlencode 'time=${time}'`;
}

export interface BeforeValues {
  /** By gate name: what ctx.before takes. */
  values: Record<string, number>;
  /** Gates with no value and why (unreachable, no series, NaN): their deltas will be inconclusive. */
  missing: Record<string, string>;
}

/**
 * Reads every prometheus gate with a delta rule once, before the change, summed as the gate will be.
 * A counter with no series yet (any-increase) has counted nothing: its value before is 0.
 */
export async function captureBefore(
  gates: Readonly<Record<string, Gate>>,
  prometheus: PrometheusFactory,
  at: Date = new Date(),
  /** The service environment's prometheusUrl, for gates that name no url of their own. */
  defaultUrl?: string,
): Promise<BeforeValues> {
  const captured: BeforeValues = { values: {}, missing: {} };
  const wanted = Object.entries(gates).filter(
    (entry): entry is [string, PrometheusGate] =>
      entry[1].kind === 'prometheus' && DELTA_RULES.has(entry[1].rule),
  );
  await Promise.all(
    wanted.map(async ([name, gate]) => {
      try {
        const reading = readAnswer(await prometheus(gate.url ?? defaultUrl).query(gate.query, at));
        if (reading.series === 0 && gate.rule === 'any-increase') captured.values[name] = 0;
        else if (reading.series === 0) captured.missing[name] = 'the query matched no series';
        else if (Number.isNaN(reading.value)) captured.missing[name] = 'Prometheus answered NaN';
        else captured.values[name] = reading.value;
      } catch (error) {
        captured.missing[name] = messageOf(error);
      }
    }),
  );
  return captured;
}
