import type {
  ImageRegistry,
  Preconditions,
  ServiceAccounts,
  ServicePreconditions,
} from '../runbooks/ports/preconditions.ts';

// The Preconditions port from its adapters: the image from Artifact Registry, actAs from IAM, the rest
// from Cloud Run.

export function createPreconditions(parts: {
  registry: ImageRegistry;
  cloudRun: ServicePreconditions;
  iam: ServiceAccounts;
}): Preconditions {
  const { registry, cloudRun, iam } = parts;
  return {
    resolveImage: (image) => registry.resolveImage(image),
    serviceExists: (ref) => cloudRun.serviceExists(ref),
    mayDeploy: (ref, permissions) => cloudRun.mayDeploy(ref, permissions),
    serviceEnv: (ref) => cloudRun.serviceEnv(ref),
    mayActAs: (project, email) => iam.mayActAs(project, email),
  };
}
