export { type Env, EnvError, loadEnv, resolveSecrets, SECRET_VARIABLES } from './env.ts';
export { ConfigError, type ConfigIssue, formatIssue } from './errors.ts';
export { loadConfig, parseConfig } from './load.ts';
export { configJsonSchema, type ShiftgateConfig } from './schema.ts';
export { type ServiceTarget, serviceTarget } from './target.ts';
