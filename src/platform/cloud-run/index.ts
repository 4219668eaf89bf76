export { CloudRunAdapter } from './adapter.ts';
export {
  createDomainMappings,
  type DomainMappingsOptions,
  domainMappingUrl,
} from './domain-mappings.ts';
export type { CloudRunOptions } from './settings.ts';
