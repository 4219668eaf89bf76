export { CloudRunAdapter } from './adapter.ts';
export type { CloudRunOptions } from './settings.ts';
