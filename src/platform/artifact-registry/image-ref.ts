// Image references as Artifact Registry names them (cloud.google.com/artifact-registry/docs/docker/names):
// LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE[:TAG][@sha256:DIGEST], IMAGE possibly nested (a/b).
// The API names the image's package with its slashes escaped (`packages/a%2Fb`), and a docker image's
// versions by digest (`versions/sha256:...`).

export interface ImageRef {
  /** `us-central1-docker.pkg.dev` */
  host: string;
  location: string;
  project: string;
  repository: string;
  /** The image path inside the repository, slashes unescaped. */
  image: string;
  tag?: string;
  /** `sha256:<64 hex>` */
  digest?: string;
}

export type Parsed = { ok: true; ref: ImageRef } | { ok: false; reason: string };

const HOST = /^([a-z][a-z0-9-]*[a-z0-9])-docker\.pkg\.dev$/;
const PROJECT = /^[a-z][a-z0-9-]*[a-z0-9]$|^[a-z]$/;
const REPOSITORY = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
/** One path component of a docker image name. */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;

export const FORM = 'LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE[:TAG|@sha256:DIGEST]';

export function parseImageRef(reference: string): Parsed {
  const at = reference.indexOf('@');
  const named = at < 0 ? reference : reference.slice(0, at);
  const digest = at < 0 ? undefined : reference.slice(at + 1);
  const slash = named.indexOf('/');
  const host = slash < 0 ? '' : named.slice(0, slash);
  // Docker's rule: the first component is a registry host only when it has a dot or a port, or is
  // localhost; `nginx:1` and `library/nginx` are Docker Hub images.
  const registry = /[.:]/.test(host) || host === 'localhost' ? host : 'docker.io';
  const location = HOST.exec(registry)?.[1];
  if (!location) {
    return {
      ok: false,
      reason: `'${reference}' is on ${registry}, not Artifact Registry: only Artifact Registry images (${FORM}) are checked`,
    };
  }
  const malformed = (what: string): Parsed => ({
    ok: false,
    reason: `'${reference}' is not a valid Artifact Registry image reference (${FORM}): ${what}`,
  });
  if (digest !== undefined && !DIGEST.test(digest)) return malformed(`'${digest}' is not a sha256 digest`);
  const path = named.slice(slash + 1);
  const lastSlash = path.lastIndexOf('/');
  const colon = path.indexOf(':', lastSlash + 1);
  const tag = colon < 0 ? undefined : path.slice(colon + 1);
  const parts = (colon < 0 ? path : path.slice(0, colon)).split('/');
  if (parts.length < 3) return malformed('it needs a project, a repository and an image');
  const [project = '', repository = '', ...image] = parts;
  if (!PROJECT.test(project)) return malformed(`'${project}' is not a project id`);
  if (!REPOSITORY.test(repository)) return malformed(`'${repository}' is not a repository name`);
  const bad = image.find((c) => !COMPONENT.test(c));
  if (bad !== undefined) return malformed(`'${bad}' is not a valid image name component`);
  if (tag !== undefined && !TAG.test(tag)) return malformed(`'${tag}' is not a valid tag`);
  return {
    ok: true,
    ref: {
      host: registry,
      location,
      project,
      repository,
      image: image.join('/'),
      ...(tag !== undefined ? { tag } : {}),
      ...(digest !== undefined ? { digest } : {}),
    },
  };
}

/** `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY` */
export const repositoryUrl = (r: ImageRef) => `${r.host}/${r.project}/${r.repository}`;

/** The image by digest, as deployed. */
export const pinned = (r: ImageRef, digest: string) => `${repositoryUrl(r)}/${r.image}@${digest}`;

export const repositoryName = (r: ImageRef) =>
  `projects/${r.project}/locations/${r.location}/repositories/${r.repository}`;

export const packageName = (r: ImageRef) => `${repositoryName(r)}/packages/${r.image.replaceAll('/', '%2F')}`;

export const tagName = (r: ImageRef, tag: string) => `${packageName(r)}/tags/${tag}`;

export const versionName = (r: ImageRef, digest: string) => `${packageName(r)}/versions/${digest}`;
