import type { ShiftgateConfig } from './schema.ts';
import type { ServiceEnvironment } from './services.ts';

/** One service in one environment with the service-level defaults filled in. */
export interface ServiceTarget extends ServiceEnvironment {
  service: string;
  environment: string;
  project: string;
  region: string;
  /** Image repository without tag. */
  image: string;
  slackChannel: string;
  runbook: string;
}

/** The merged target, or undefined when the config has no such service or environment for it. */
export function serviceTarget(
  config: ShiftgateConfig,
  service: string,
  environment: string,
): ServiceTarget | undefined {
  const svc = config.services[service];
  const target = svc?.environments[environment];
  if (!svc || !target) return undefined;
  // The schema guarantees project, region, image and slackChannel are set at one of the two levels.
  return {
    ...target,
    service,
    environment,
    project: (target.project ?? svc.project) as string,
    region: (target.region ?? svc.region) as string,
    image: (target.image ?? svc.image) as string,
    slackChannel: (target.slackChannel ?? svc.slackChannel) as string,
    runbook: target.runbook ?? svc.runbook,
    ...((target.cutover ?? svc.cutover) ? { cutover: target.cutover ?? svc.cutover } : {}),
  };
}
