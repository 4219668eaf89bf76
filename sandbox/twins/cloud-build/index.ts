import { createHash, randomUUID } from 'node:crypto';
import { HttpResponse, http, type RequestHandler } from 'msw';
import { answerGoogleCall, googleError, pageToken, readPageToken, wantsIntEnums } from '../google-rest.ts';
import { Recorder } from '../recorder.ts';
import { type FilterableBuild, matches, parseBuildFilter } from './filter.ts';

// Cloud Build's builds as @google-cloud/cloudbuild lists them over REST:
//   GET /v1/projects/P/builds?parent=projects/P/locations/L&filter=&pageSize=&pageToken=
//   GET /v1/projects/P/locations/L/builds?...   (the same, location in the path)
// Builds of one location only (no parent: global), matching the filter (filter.ts), newest first by
// createTime, paged with opaque tokens; statuses as enum numbers when the client asks for int enums.
// A build is added as a trigger would start it and moved through its statuses by the test.

export const BUILD_STATUSES = [
  'STATUS_UNKNOWN',
  'QUEUED',
  'WORKING',
  'SUCCESS',
  'FAILURE',
  'INTERNAL_ERROR',
  'TIMEOUT',
  'CANCELLED',
  '',
  'EXPIRED',
  'PENDING',
] as const;
export type BuildStatus = Exclude<(typeof BUILD_STATUSES)[number], ''>;

export interface TwinBuild extends FilterableBuild {
  project: string;
  location: string;
  status: BuildStatus;
  statusDetail: string;
  createTime: string;
  startTime?: string;
  finishTime?: string;
}

export interface CloudBuildTwinOptions {
  /** What the client's endpoint is, e.g. http://cloudbuild.twin or the sandbox's http://127.0.0.1:PORT. */
  origin?: string;
  now?: () => number;
}

export interface NewBuild {
  project: string;
  location?: string;
  status?: BuildStatus;
  statusDetail?: string;
  tags?: string[];
  substitutions?: Record<string, string>;
  images?: string[];
  triggerId?: string;
  /** ISO time; default now (each build a millisecond after the one before, as triggers stagger them). */
  createTime?: string;
}

export interface CloudBuildTwin {
  handlers: RequestHandler[];
  recorder: Recorder;
  /** A build as a trigger starts it (QUEUED unless given); its id. */
  addBuild(build: NewBuild): string;
  /** Moves a build on: WORKING, then SUCCESS or a failure, with Cloud Build's words for it. */
  setStatus(id: string, status: BuildStatus, statusDetail?: string): void;
  build(id: string): TwinBuild | undefined;
  reset(): void;
}

export const CLOUD_BUILD_TWIN_ORIGIN = 'http://cloudbuild.twin';

const DONE = new Set<BuildStatus>([
  'SUCCESS',
  'FAILURE',
  'INTERNAL_ERROR',
  'TIMEOUT',
  'CANCELLED',
  'EXPIRED',
]);
const DEFAULT_PAGE = 50;

export function createCloudBuildTwin(options: CloudBuildTwinOptions = {}): CloudBuildTwin {
  const origin = (options.origin ?? CLOUD_BUILD_TWIN_ORIGIN).replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const recorder = new Recorder();
  const builds = new Map<string, TwinBuild>();
  let lastCreated = 0;

  const digestOf = (image: string) => `sha256:${createHash('sha256').update(image).digest('hex')}`;

  function resource(build: TwinBuild, intEnums: boolean) {
    const status = intEnums ? BUILD_STATUSES.indexOf(build.status) : build.status;
    const succeeded = build.status === 'SUCCESS';
    return {
      id: build.id,
      name: `projects/${build.project}/locations/${build.location}/builds/${build.id}`,
      projectId: build.project,
      status,
      ...(build.statusDetail ? { statusDetail: build.statusDetail } : {}),
      createTime: build.createTime,
      ...(build.startTime ? { startTime: build.startTime } : {}),
      ...(build.finishTime ? { finishTime: build.finishTime } : {}),
      steps: [{ name: 'gcr.io/cloud-builders/docker', args: ['build', '.'] }],
      timeout: '600s',
      images: build.images,
      ...(succeeded && build.images.length > 0
        ? { results: { images: build.images.map((name) => ({ name, digest: digestOf(name) })) } }
        : {}),
      logsBucket: `gs://${build.project}_cloudbuild/logs`,
      logUrl: `https://console.cloud.google.com/cloud-build/builds;region=${build.location}/${build.id}?project=${build.project}`,
      tags: build.tags,
      substitutions: build.substitutions,
      ...(build.triggerId ? { buildTriggerId: build.triggerId } : {}),
    };
  }

  function list(request: Request, project: string, location: string): Response {
    const url = new URL(request.url);
    const terms = parseBuildFilter(url.searchParams.get('filter') ?? '');
    const size = Math.min(Number(url.searchParams.get('pageSize')) || DEFAULT_PAGE, 1000);
    const fingerprint = `${project}|${location}|${url.searchParams.get('filter') ?? ''}`;
    const token = url.searchParams.get('pageToken');
    const offset = token ? readPageToken(token, fingerprint) : 0;
    const found = [...builds.values()]
      .filter((b) => b.project === project && b.location === location && matches(b, terms))
      .sort((a, b) => b.createTime.localeCompare(a.createTime));
    const page = found.slice(offset, offset + size);
    const intEnums = wantsIntEnums(url);
    return HttpResponse.json({
      builds: page.map((b) => resource(b, intEnums)),
      ...(offset + size < found.length ? { nextPageToken: pageToken(offset + size, fingerprint) } : {}),
    });
  }

  /** `parent` in the query wins over the path's project, as the API reads it; global without one. */
  function where(request: Request, project: string, pathLocation?: string) {
    const parent = new URL(request.url).searchParams.get('parent');
    const match = parent ? /^projects\/([^/]+)\/locations\/([^/]+)$/.exec(parent) : null;
    if (parent && !match) return undefined;
    return { project: match?.[1] ?? project, location: match?.[2] ?? pathLocation ?? 'global' };
  }

  const handlers: RequestHandler[] = [
    http.get(`${origin}/v1/projects/:project/builds`, ({ request, params }) =>
      answerGoogleCall(recorder, request, () => {
        const at = where(request, String(params.project));
        if (!at) return googleError(400, 'parent must be projects/{project}/locations/{location}');
        return list(request, at.project, at.location);
      }),
    ),
    http.get(`${origin}/v1/projects/:project/locations/:location/builds`, ({ request, params }) =>
      answerGoogleCall(recorder, request, () =>
        list(request, String(params.project), String(params.location)),
      ),
    ),
  ];

  return {
    handlers,
    recorder,
    addBuild(build) {
      const id = randomUUID();
      lastCreated = Math.max(lastCreated + 1, now());
      const status = build.status ?? 'QUEUED';
      const created = build.createTime ?? new Date(lastCreated).toISOString();
      builds.set(id, {
        id,
        project: build.project,
        location: build.location ?? 'global',
        status,
        statusDetail: build.statusDetail ?? '',
        tags: build.tags ?? [],
        substitutions: build.substitutions ?? {},
        images: build.images ?? [],
        digests: status === 'SUCCESS' ? (build.images ?? []).map(digestOf) : [],
        triggerId: build.triggerId ?? '',
        createTime: created,
        ...(status !== 'QUEUED' && status !== 'PENDING' ? { startTime: created } : {}),
        ...(DONE.has(status) ? { finishTime: new Date(now()).toISOString() } : {}),
      });
      return id;
    },
    setStatus(id, status, statusDetail) {
      const build = builds.get(id);
      if (!build) throw new Error(`twin: no build ${id}`);
      build.status = status;
      build.statusDetail = statusDetail ?? '';
      const at = new Date(now()).toISOString();
      if (status !== 'QUEUED' && status !== 'PENDING') build.startTime ??= at;
      if (DONE.has(status)) build.finishTime = at;
      build.digests = status === 'SUCCESS' ? build.images.map(digestOf) : [];
    },
    build: (id) => builds.get(id),
    reset() {
      builds.clear();
      recorder.reset();
      lastCreated = 0;
    },
  };
}
