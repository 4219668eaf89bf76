import type { ServiceRef } from './cloud-run.ts';

// What is checked before anything is deployed (issue 18, seeds 000 and 001): the image exists in
// Artifact Registry and resolves to a digest (the digest is what gets deployed), the Cloud Run service
// exists in that region, the bot may deploy it, and the service declares the environment variables and
// secret references the config requires. One method per check, so each can be its own line in the
// thread and be required or advisory on its own; an unexpected failure is a PlatformError.

export interface ResolvedImage {
  /** The reference as given. */
  requested: string;
  /** `sha256:<64 hex>`. */
  digest: string;
  /** The same image by digest, `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE@sha256:...`: what to deploy. */
  image: string;
  /** The tag that was resolved (`latest` when the reference named neither a tag nor a digest). */
  tag?: string;
}

export interface ImageRegistry {
  /**
   * `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE[:TAG][@sha256:DIGEST]`: a tag resolves to the digest
   * it points at; a digest resolves to itself once Artifact Registry shows it exists. PlatformError
   * (system 'artifact-registry'): 'invalid' for a reference that is not an Artifact Registry image (only
   * those are checked) or is malformed; 'not-found' naming what is missing (the tag, the digest, the
   * image or the repository); 'permission-denied' when the bot may not read the repository.
   */
  resolveImage(image: string): Promise<ResolvedImage>;
}

/** What the bot needs on a service to run a canary: read it, and update it (deploy, traffic). */
export const DEPLOY_PERMISSIONS: readonly string[] = ['run.services.get', 'run.services.update'];

export interface DeployPermissions {
  /** Every permission checked is granted. */
  allowed: boolean;
  /** Checked and not granted, in the order asked. */
  missing: string[];
  /** What was asked. */
  checked: string[];
}

/** Names only: values (and secret payloads) are never read into shiftgate. */
export interface ServiceEnvNames {
  /** Variables of the service's template (its first container) with a literal value. */
  env: string[];
  /** Variables read from Secret Manager (`valueSource.secretKeyRef`). */
  secrets: string[];
  /** The template's runtime service account; absent when it runs as the default compute account. */
  serviceAccount?: string;
}

export interface ServicePreconditions {
  /** False when Cloud Run says the service does not exist in that project and region. */
  serviceExists(ref: ServiceRef): Promise<boolean>;
  /**
   * Cloud Run's testIamPermissions on the service for the caller (the bot's own credentials); default
   * DEPLOY_PERMISSIONS. Cloud Run checks `run.*` permissions only: `iam.serviceAccounts.actAs` on the
   * runtime service account lives on that account (ServiceAccounts.mayActAs).
   */
  mayDeploy(ref: ServiceRef, permissions?: readonly string[]): Promise<DeployPermissions>;
  /** The template's variables and runtime account: what the next revision (the canary) gets. */
  serviceEnv(ref: ServiceRef): Promise<ServiceEnvNames>;
}

/** Deploying a revision that runs as an account needs `iam.serviceAccounts.actAs` on that account. */
export const ACT_AS = 'iam.serviceAccounts.actAs';

export interface ServiceAccounts {
  /**
   * IAM's testIamPermissions on the account for the caller: whether the bot may act as it. PlatformError
   * (system 'iam'): 'not-found' for an account that does not exist.
   */
  mayActAs(project: string, email: string): Promise<boolean>;
}

/** Every precondition check; platform/preconditions.ts puts the adapters together. */
export interface Preconditions extends ImageRegistry, ServicePreconditions, ServiceAccounts {}
