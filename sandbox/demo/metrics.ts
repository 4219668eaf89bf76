import type { PrometheusTwin } from '../twins/prometheus/index.ts';
import type { DemoProxy } from './proxy.ts';

// What the sandbox's Prometheus twin answers for the demo service's flag canary (examples/sandbox.yaml):
// computed from what the proxy served, as a Prometheus scraping the demo would see it. golden_mismatch is
// the 5xx answered while the faulty_pool flag was on; the error ratio is over the proxy's last 10 s.

export const DEMO_QUERIES = {
  mismatches: 'sum(demo_golden_mismatch_total)',
  errorRatio: 'sum(rate(demo_requests_total{code=~"5.."}[10s])) / sum(rate(demo_requests_total[10s]))',
} as const;

export function answerDemoMetrics(
  prometheus: PrometheusTwin,
  proxy: Pick<DemoProxy, 'counters' | 'traffic'>,
): void {
  prometheus.answer(DEMO_QUERIES.mismatches, () => ({ vector: [{ value: proxy.counters().mismatches }] }));
  prometheus.answer(DEMO_QUERIES.errorRatio, () => {
    const recent = proxy.traffic();
    const requests = recent.reduce((sum, r) => sum + r.requests, 0);
    const errors = recent.reduce((sum, r) => sum + r.errors5xx, 0);
    // No traffic: 0/0, which Prometheus answers as NaN (the gate calls it inconclusive).
    return { vector: [{ value: requests === 0 ? Number.NaN : errors / requests }] };
  });
}
