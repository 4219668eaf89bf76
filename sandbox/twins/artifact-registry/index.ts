import { HttpResponse, http, type RequestHandler } from 'msw';
import { answerGoogleCall, googleError, wantsIntEnums } from '../google-rest.ts';
import { Recorder } from '../recorder.ts';
import { RegistryError, RegistryStore, seedRef } from './store.ts';

// Artifact Registry v1's reads as @google-cloud/artifact-registry calls them with `fallback: true`:
//   GET /v1/projects/P/locations/L/repositories/R                         -> Repository
//   GET .../repositories/R/packages/PKG                                    -> Package
//   GET .../packages/PKG/tags/TAG                                          -> Tag {name, version}
//   GET .../packages/PKG/versions/sha256:D[?view=FULL]                     -> Version (relatedTags in FULL)
// PKG is the image with its slashes escaped (`a%2Fb`). Anything missing is 404 NOT_FOUND in Google's
// error body ("Requested entity was not found."), a denied repository 403 naming the permission; any other
// request is answered 501 naming it. Faults: `recorder.inject({match: 'GET /v1/...', status, delayMs})`.

export const ARTIFACT_REGISTRY_TWIN_ORIGIN = 'http://artifactregistry.twin';

export interface ArtifactRegistryTwinOptions {
  /** Where the client is pointed: googleClientOptions({endpoint}). */
  origin?: string;
  now?: () => Date;
}

const ENUMS: Record<string, Record<string, number>> = {
  format: { FORMAT_UNSPECIFIED: 0, DOCKER: 1 },
  mode: { MODE_UNSPECIFIED: 0, STANDARD_REPOSITORY: 1 },
};

function encodeEnums(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => [key, ENUMS[key]?.[String(value)] ?? value]),
  );
}

export function createArtifactRegistryTwin(options: ArtifactRegistryTwinOptions = {}) {
  const origin = (options.origin ?? ARTIFACT_REGISTRY_TWIN_ORIGIN).replace(/\/$/, '');
  const store = new RegistryStore(options.now ?? (() => new Date()));
  const recorder = new Recorder();
  const url = new URL(origin);
  const protocol: 'http' | 'https' = url.protocol === 'https:' ? 'https' : 'http';

  const handler = http.all(`${origin}/v1/*`, ({ request }) =>
    answerGoogleCall(recorder, request, () => {
      const address = new URL(request.url);
      // The client escapes each path segment once: `a%2Fb` arrives as `a%252Fb`, `sha256:` as `sha256%3A`.
      const name = decodeURIComponent(address.pathname).replace(/^\/v1\//, '');
      const unknown = () =>
        googleError(501, `Artifact Registry twin does not implement ${request.method} ${address.pathname}.`);
      if (request.method !== 'GET') return unknown();
      const view = address.searchParams.get('view');
      try {
        const body = store.get(name, view === 'FULL' || view === '2');
        if (!body) return unknown();
        return HttpResponse.json((wantsIntEnums(request) ? encodeEnums(body) : body) as never);
      } catch (error) {
        if (error instanceof RegistryError) return googleError(error.code, error.message);
        throw error;
      }
    }),
  );

  return {
    handlers: [handler] as RequestHandler[],
    recorder,
    origin,
    /** For googleClientOptions({projectId, endpoint}). */
    endpoint: { host: url.hostname, port: Number(url.port || (protocol === 'https' ? 443 : 80)), protocol },
    /**
     * Pushes an image: `LOCATION-docker.pkg.dev/PROJECT/REPO/IMAGE[:TAG][@sha256:D]`, creating its
     * repository. The digest is `digest`, else the reference's, else one derived from the reference;
     * a tag already on another digest moves. Returns the digest.
     */
    seedImage(reference: string, digest?: string): string {
      return store.push(seedRef(reference), digest);
    },
    /** An empty repository: `LOCATION-docker.pkg.dev/PROJECT/REPO`. */
    seedRepository(reference: string): void {
      store.repository(seedRef(reference).repository);
    },
    /** Removes the tag of `...IMAGE:TAG` (the version stays). */
    untag(reference: string): void {
      store.untag(seedRef(reference));
    },
    /** The caller may not read this repository (`LOCATION-docker.pkg.dev/PROJECT/REPO`): reads answer 403. */
    deny(reference: string): void {
      store.deny(seedRef(reference).repository);
    },
    /** Forgets every repository, request and pending fault. */
    reset(): void {
      store.clear();
      recorder.reset();
    },
  };
}

export type ArtifactRegistryTwin = ReturnType<typeof createArtifactRegistryTwin>;
