import type { ImageRegistry, Preconditions, ServicePreconditions } from '../runbooks/ports/preconditions.ts';

// The Preconditions port from its two adapters: the image from Artifact Registry, the rest from Cloud Run.

export function createPreconditions(parts: {
  registry: ImageRegistry;
  cloudRun: ServicePreconditions;
}): Preconditions {
  const { registry, cloudRun } = parts;
  return {
    resolveImage: (image) => registry.resolveImage(image),
    serviceExists: (ref) => cloudRun.serviceExists(ref),
    mayDeploy: (ref, permissions) => cloudRun.mayDeploy(ref, permissions),
    serviceEnv: (ref) => cloudRun.serviceEnv(ref),
  };
}
