// What the Monitoring twin knows: requests served by Cloud Run revisions, kept as batches of identical
// requests (one request is a batch of one) with their latencies. The metrics request_count and
// request_latencies are computed from them at query time, at the resolution of single requests.

/** Milliseconds: one value for every request, samples shared out evenly, or three percentiles. */
export type LatencySpec = number | readonly number[] | { p50: number; p95: number; p99: number };

export interface Batch {
  project: string;
  service: string;
  location: string;
  revision: string;
  /** Epoch milliseconds. */
  at: number;
  status: number;
  count: number;
  /** [latency ms, how many requests], summing to `count`. */
  latencies: [number, number][];
}

export class TrafficStore {
  private readonly batches: Batch[] = [];

  add(batch: Batch): void {
    if (!Number.isInteger(batch.count) || batch.count < 0)
      throw new Error(`twin: bad request count ${batch.count}`);
    if (batch.count > 0) this.batches.push(batch);
  }

  all(): readonly Batch[] {
    return this.batches;
  }

  forget(match: (batch: Batch) => boolean): void {
    for (let i = this.batches.length - 1; i >= 0; i--)
      if (match(this.batches[i] as Batch)) this.batches.splice(i, 1);
  }

  clear(): void {
    this.batches.length = 0;
  }
}

/**
 * Shares `count` requests out over a latency spec in whole requests. For percentiles: half at p50,
 * up to 95 % at p95, the rest at p99, so the twin's nearest-rank percentiles give back exactly the three
 * values once there are about 20 requests or more.
 */
export function spreadLatency(count: number, spec: LatencySpec): [number, number][] {
  if (typeof spec === 'number') return [[spec, count]];
  if (Array.isArray(spec)) {
    const samples = spec as readonly number[];
    if (samples.length === 0) throw new Error('twin: an empty latency sample list');
    const share = Math.floor(count / samples.length);
    const extra = count % samples.length;
    return samples.map((value, index) => [value, share + (index < extra ? 1 : 0)] as [number, number]);
  }
  const { p50, p95, p99 } = spec as { p50: number; p95: number; p99: number };
  if (!(p50 <= p95 && p95 <= p99)) throw new Error(`twin: percentiles out of order: ${p50}, ${p95}, ${p99}`);
  const upTo50 = Math.ceil((50 * count) / 100);
  const upTo95 = Math.ceil((95 * count) / 100);
  return [
    [p50, upTo50],
    [p95, upTo95 - upTo50],
    [p99, count - upTo95],
  ];
}

/** Nearest-rank percentile of weighted samples: the smallest value with at least p % at or below it. */
export function percentileOf(samples: readonly [number, number][], percentile: number): number | undefined {
  const total = samples.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil((percentile * total) / 100));
  const sorted = [...samples].filter(([, count]) => count > 0).sort(([a], [b]) => a - b);
  let seen = 0;
  for (const [value, count] of sorted) {
    seen += count;
    if (seen >= rank) return value;
  }
  return sorted.at(-1)?.[0];
}
