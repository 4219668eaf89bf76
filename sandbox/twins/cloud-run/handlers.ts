import { delay, http, type RequestHandler } from 'msw';
import type { Fault, Recorder } from '../recorder.ts';
import type { JobStore } from './jobs.ts';
import { operationJson, revisionJson, serviceJson } from './render.ts';
import type { Outcome, ServiceStore } from './services.ts';
import { googleError, json, TwinError } from './wire.ts';

// One msw handler for everything under {baseUrl}/v2, routed here by method and path, so it depends on
// the Request alone and a plain HTTP server can serve it too. A request no route knows is answered
// 501 naming its method and path: a twin that guessed would hide an adapter's mistake.

interface Context {
  request: Request;
  fault?: Fault;
  services: ServiceStore;
  jobs: JobStore;
}

interface Route {
  method: string;
  path: RegExp;
  /** Named in an injected 403, as Cloud Run names the missing permission. */
  permission: string;
  answer(match: string[], context: Context): Promise<Response> | Response;
}

const LOCATION = 'projects/[^/]+/locations/[^/]+';
const SERVICE = `${LOCATION}/services/[^/:]+`;
const JOB = `${LOCATION}/jobs/[^/:]+`;

const OUTCOMES: Record<string, Outcome> = {
  'operation-failed': 'failed',
  'operation-stuck': 'stuck',
  'stale-status': 'stale-status',
};

const routes: Route[] = [
  {
    method: 'GET',
    path: new RegExp(`^/v2/(${SERVICE})$`),
    permission: 'run.services.get',
    answer: ([name], { request, services }) => json(request, serviceJson(services.get(name as string))),
  },
  {
    method: 'PATCH',
    path: new RegExp(`^/v2/(${SERVICE})$`),
    permission: 'run.services.update',
    async answer([name], { request, services, fault }) {
      const service = services.get(name as string);
      if (fault?.kind === 'etag-conflict') {
        services.touch(service); // a concurrent writer got there first
        throw new TwinError(
          409,
          `etag mismatch: the service '${service.key.service}' has changed since it was read.`,
        );
      }
      const body = (await request.json()) as Record<string, unknown>;
      if (body.name && body.name !== name) {
        throw new TwinError(400, `service.name '${String(body.name)}' does not match the URL's '${name}'.`);
      }
      const outcome = OUTCOMES[fault?.kind ?? ''] ?? 'ok';
      return json(request, operationJson(services.update(name as string, body, outcome, fault?.message)));
    },
  },
  {
    method: 'POST',
    path: new RegExp(`^/v2/(${SERVICE}):testIamPermissions$`),
    permission: 'run.services.testIamPermissions',
    async answer([name], { request, services }) {
      const service = services.get(name as string);
      const body = (await request.json()) as { permissions?: unknown };
      const asked = Array.isArray(body.permissions) ? body.permissions.map(String) : [];
      // IAM refuses wildcards, and permissions of other resource types (iam.serviceAccounts.actAs lives
      // on the service account), rather than answering them as not granted.
      const wrong = asked.find((p) => p.includes('*') || !/^run\.[a-zA-Z]+\.[a-zA-Z]+$/.test(p));
      if (wrong) throw new TwinError(400, `Permission '${wrong}' is not valid for this resource.`);
      const permissions = asked.filter((p) => service.granted?.has(p) ?? true);
      return json(request, permissions.length > 0 ? { permissions } : {});
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^/v2/(${SERVICE})/revisions$`),
    permission: 'run.revisions.list',
    answer([name], { request, services }) {
      const service = services.get(name as string);
      const revisions = [...service.revisions.values()].reverse().map((r) => revisionJson(service, r));
      return json(request, { revisions });
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^/v2/(${SERVICE})/revisions/([^/:]+)$`),
    permission: 'run.revisions.get',
    answer([name, revision], { request, services }) {
      const service = services.get(name as string);
      return json(request, revisionJson(service, services.revision(service, revision as string)));
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^/v2/(${LOCATION}/operations/[^/:]+)$`),
    permission: 'run.operations.get',
    answer: ([name], { request, services, jobs }) =>
      jobs.hasOperation(name as string)
        ? json(request, jobs.operationJson(jobs.poll(name as string)))
        : json(request, operationJson(services.poll(name as string))),
  },
  {
    method: 'GET',
    path: new RegExp(`^/v2/(${JOB})$`),
    permission: 'run.jobs.get',
    answer: ([name], { request, jobs }) => json(request, jobs.jobJson(name as string)),
  },
  {
    method: 'POST',
    path: new RegExp(`^/v2/(${JOB}):run$`),
    permission: 'run.jobs.run',
    answer: ([name], { request, jobs }) => json(request, jobs.operationJson(jobs.run(name as string))),
  },
  {
    method: 'GET',
    path: new RegExp(`^/v2/(${JOB})/executions$`),
    permission: 'run.executions.list',
    answer([name], { request, jobs }) {
      const executions = jobs.executions(name as string).map((e) => jobs.executionJson(name as string, e));
      return json(request, { executions });
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^/v2/(${JOB})/executions/([^/:]+)$`),
    permission: 'run.executions.get',
    answer: ([name, execution], { request, jobs }) =>
      json(request, jobs.executionJson(name as string, jobs.execution(name as string, execution as string))),
  },
  {
    method: 'GET',
    path: new RegExp(`^/v2/(${JOB})/executions/([^/:]+)/tasks$`),
    permission: 'run.tasks.list',
    answer([name, execution], { request, jobs }) {
      const found = jobs.execution(name as string, execution as string);
      return json(request, { tasks: [jobs.taskJson(name as string, found)] });
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^/v2/(${JOB})/executions/([^/:]+)/tasks/([^/:]+)$`),
    permission: 'run.tasks.get',
    answer([name, execution, task], { request, jobs }) {
      const found = jobs.taskJson(name as string, jobs.execution(name as string, execution as string));
      if (!String(found.name).endsWith(`/tasks/${task}`)) {
        throw new TwinError(404, `Resource '${task}' of kind 'TASK' does not exist.`);
      }
      return json(request, found);
    },
  },
];

/** The message Cloud Run gives for an injected status, so adapters' error text can be checked. */
function injected(status: number, route: Route, resource: string, fault: Fault): TwinError {
  if (fault.message) return new TwinError(status, fault.message);
  if (status === 403) {
    return new TwinError(
      403,
      `Permission '${route.permission}' denied on resource '${resource}' (or resource may not exist).`,
    );
  }
  if (status === 429)
    return new TwinError(
      429,
      'Quota exceeded for quota metric "Write requests" of service run.googleapis.com.',
    );
  return new TwinError(status, `twin: injected ${status}`);
}

export function cloudRunHandlers(
  baseUrl: string,
  recorder: Recorder,
  services: ServiceStore,
  jobs: JobStore,
): RequestHandler[] {
  return [
    http.all(`${baseUrl}/v2/*`, async ({ request }) => {
      const recorded = await recorder.record(request);
      const path = decodeURIComponent(new URL(request.url).pathname);
      let match: string[] | undefined;
      const route = routes.find((r) => {
        const found = r.method === request.method ? r.path.exec(path) : null;
        if (found) match = found.slice(1);
        return found !== null;
      });
      if (!route || !match) {
        return googleError(
          new TwinError(501, `Cloud Run twin does not implement ${request.method} ${path}.`),
        );
      }
      const fault = recorder.takeFault(recorded.method, recorded.path);
      try {
        if (fault?.delayMs) await delay(fault.delayMs);
        if (fault?.status)
          return googleError(injected(fault.status, route, match[0] as string, fault), fault.retryAfter);
        return await route.answer(match, { request, services, jobs, ...(fault ? { fault } : {}) });
      } catch (error) {
        if (error instanceof TwinError) return googleError(error);
        throw error;
      }
    }),
  ];
}
