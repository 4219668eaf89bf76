export { type CloudLoggingAdapter, type CloudLoggingOptions, createCloudLogging } from './cloud-logging.ts';
