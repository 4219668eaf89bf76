export { type CloudLoggingAdapter, type CloudLoggingOptions, createCloudLogging } from './cloud-logging.ts';
export {
  createRequestErrorSource,
  type RequestErrorSourceOptions,
  requestErrorFilter,
} from './request-errors.ts';
