import { createHash } from 'node:crypto';

// The twin's repositories, docker images (packages), their versions (by digest) and tags, kept as
// Artifact Registry keeps them: a tag points at one version of its image, pushing the same tag again
// moves it. Names are the API's: `projects/P/locations/L/repositories/R/packages/PKG` with the image's
// slashes escaped (`a%2Fb`), versions named by digest (`versions/sha256:...`).

interface StoredVersion {
  digest: string;
  createTime: string;
}

interface StoredPackage {
  image: string;
  createTime: string;
  updateTime: string;
  versions: Map<string, StoredVersion>;
  /** Tag -> digest. */
  tags: Map<string, string>;
}

interface StoredRepository {
  name: string;
  createTime: string;
  packages: Map<string, StoredPackage>;
  /** The caller may not read it: every read answers 403. */
  denied: boolean;
}

/** A reference as the twin's seeds take it, parsed on its own (not with the adapter's parser). */
export interface SeedRef {
  repository: string;
  image: string;
  tag?: string;
  digest?: string;
}

const HOST = /^([a-z][a-z0-9-]*[a-z0-9])-docker\.pkg\.dev$/;

/** `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY[/IMAGE[:TAG][@sha256:D]]`; throws on anything else. */
export function seedRef(reference: string): SeedRef {
  const [named = '', digest] = reference.split('@');
  const [host = '', project, repository, ...path] = named.split('/');
  const location = HOST.exec(host)?.[1];
  if (!location || !project || !repository) {
    throw new Error(`artifact-registry twin: '${reference}' is not LOCATION-docker.pkg.dev/PROJECT/REPO/...`);
  }
  const last = path.pop() ?? '';
  const [leaf = '', tag] = last.split(':');
  const image = [...path, leaf].filter(Boolean).join('/');
  return {
    repository: `projects/${project}/locations/${location}/repositories/${repository}`,
    image,
    ...(tag ? { tag } : {}),
    ...(digest ? { digest } : {}),
  };
}

/** Thrown inside the twin, answered as Google's error body with this HTTP code. */
export class RegistryError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

const escapeImage = (image: string) => image.replaceAll('/', '%2F');

/** Artifact Registry's answer for anything missing; it names no more than this. */
const notFound = () => new RegistryError(404, 'Requested entity was not found.');

export class RegistryStore {
  private readonly repositories = new Map<string, StoredRepository>();
  private readonly now: () => Date;

  constructor(now: () => Date) {
    this.now = now;
  }

  clear(): void {
    this.repositories.clear();
  }

  /** Creates the repository (a no-op when it exists). */
  repository(name: string): StoredRepository {
    let repository = this.repositories.get(name);
    if (!repository) {
      repository = { name, createTime: this.now().toISOString(), packages: new Map(), denied: false };
      this.repositories.set(name, repository);
    }
    return repository;
  }

  /** Pushes `image` with this digest (default: one derived from the reference) and tag; returns the digest. */
  push(ref: SeedRef, digest?: string): string {
    if (!ref.image) throw new Error('artifact-registry twin: an image needs a name');
    const sha =
      digest ?? ref.digest ?? `sha256:${createHash('sha256').update(JSON.stringify(ref)).digest('hex')}`;
    if (!/^sha256:[a-f0-9]{64}$/.test(sha))
      throw new Error(`artifact-registry twin: '${sha}' is not a digest`);
    const repository = this.repository(ref.repository);
    const at = this.now().toISOString();
    const key = escapeImage(ref.image);
    let found = repository.packages.get(key);
    if (!found) {
      found = { image: ref.image, createTime: at, updateTime: at, versions: new Map(), tags: new Map() };
      repository.packages.set(key, found);
    }
    if (!found.versions.has(sha)) found.versions.set(sha, { digest: sha, createTime: at });
    if (ref.tag) found.tags.set(ref.tag, sha); // a push of the same tag moves it
    found.updateTime = at;
    return sha;
  }

  untag(ref: SeedRef): void {
    if (ref.tag)
      this.repositories.get(ref.repository)?.packages.get(escapeImage(ref.image))?.tags.delete(ref.tag);
  }

  deny(repository: string): void {
    this.repository(repository).denied = true;
  }

  /**
   * GET by resource name (slashes of the image escaped): the resource's JSON, a RegistryError, or
   * undefined for a name of a kind the twin does not know.
   */
  get(name: string, full = false): Record<string, unknown> | undefined {
    const match =
      /^(projects\/[^/]+\/locations\/[^/]+\/repositories\/[^/]+)(?:\/packages\/([^/]+)(?:\/(tags|versions)\/([^/]+))?)?$/.exec(
        name,
      );
    if (!match) return undefined; // not a resource this twin speaks
    const [, repositoryName = '', packageId, kind, id = ''] = match;
    const repository = this.repositories.get(repositoryName);
    if (repository?.denied) {
      const permission = kind
        ? `artifactregistry.${kind}.get`
        : packageId
          ? 'artifactregistry.packages.get'
          : 'artifactregistry.repositories.get';
      throw new RegistryError(
        403,
        `Permission '${permission}' denied on resource '${name}' (or it may not exist).`,
      );
    }
    if (!repository) throw notFound();
    if (!packageId) {
      return {
        name: repository.name,
        format: 'DOCKER',
        mode: 'STANDARD_REPOSITORY',
        createTime: repository.createTime,
        updateTime: repository.createTime,
      };
    }
    const found = repository.packages.get(packageId);
    if (!found) throw notFound();
    const packageName = `${repositoryName}/packages/${packageId}`;
    if (!kind) {
      return {
        name: packageName,
        displayName: found.image,
        createTime: found.createTime,
        updateTime: found.updateTime,
      };
    }
    if (kind === 'tags') {
      const digest = found.tags.get(id);
      if (!digest) throw notFound();
      return { name: `${packageName}/tags/${id}`, version: `${packageName}/versions/${digest}` };
    }
    const version = found.versions.get(id);
    if (!version) throw notFound();
    // relatedTags come with the FULL view only.
    const relatedTags = [...found.tags]
      .filter(([, digest]) => digest === version.digest)
      .map(([tag]) => ({
        name: `${packageName}/tags/${tag}`,
        version: `${packageName}/versions/${version.digest}`,
      }));
    return {
      name: `${packageName}/versions/${version.digest}`,
      createTime: version.createTime,
      updateTime: version.createTime,
      ...(full && relatedTags.length > 0 ? { relatedTags } : {}),
    };
  }
}
