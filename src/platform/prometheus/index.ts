export { createPrometheus, type PrometheusOptions } from './prometheus.ts';
export { parseSampleValue } from './responses.ts';
