export {
  type CloudMonitoringAdapter,
  type CloudMonitoringOptions,
  createCloudMonitoring,
} from './cloud-monitoring.ts';
export { type CallPolicy, DEFAULT_CALL_POLICY } from './google-call.ts';
export { createErrorBudgetReader, type ErrorBudgetAdapter, type ErrorBudgetReaderOptions } from './slo.ts';
