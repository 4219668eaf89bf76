import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getResponse, HttpResponse, http, type RequestHandler } from 'msw';
import { createCloudRunTwin } from '../../sandbox/twins/cloud-run/index.ts';
import { serveHandlers } from '../../sandbox/twins/serve.ts';
import { createSlackTwin } from '../../sandbox/twins/slack/index.ts';
import { TrafficHistory } from './history.ts';

// The world the replicas talk to, served over loopback HTTP by the harness process: the Slack twin, the
// Cloud Run twin (wrapped so every change of a service's served split is recorded, see history.ts), and
// the services themselves: GET /app/<service>/<tag>/healthz answers 500 when the revision behind the tag
// runs a `bad-*` image and serves traffic (a bad build fails under load, not at its no-traffic smoke
// check), 200 otherwise; without a tag, the revision serving most traffic answers. The config is the
// sandbox's canary shape with stages of seconds and one http gate, for N services in one environment.

export const PROJECT = 'shiftgate-chaos';
export const REGION = 'us-central1';
export const ENV = 'chaos';
export const CHANNEL = '#deploys';
export const REQUESTER = 'U0CHAOSREQ';
export const APPROVER = 'U0CHAOSAPP';
export const IMAGE = `${REGION}-docker.pkg.dev/${PROJECT}/app/app`;
/** The canary percent of each stage after A, in order. */
export const STAGE_PERCENTS = [5, 25, 50, 100];

export const serviceName = (i: number) => `svc-${String(i).padStart(3, '0')}`;

export interface World {
  origin: string;
  slack: ReturnType<typeof createSlackTwin>;
  cloudRun: ReturnType<typeof createCloudRunTwin>;
  history: TrafficHistory;
  services: string[];
  configFile: string;
  signingSecret: string;
  close(): Promise<void>;
}

function config(services: string[], origin: string) {
  const stage = (name: string, traffic: number, watch: string, interval: string) => ({
    name,
    traffic,
    watch,
    interval,
    checks: ['healthz'],
    gates: ['healthz'],
  });
  return {
    environments: {
      [ENV]: {
        description: 'The chaos run',
        deployers: { users: [REQUESTER] },
        approval: {
          approvers: { users: [APPROVER] },
          required: 1,
          allowSelfApproval: false,
          expiresAfter: '30m',
        },
        rollback: { onGateFailure: 'automatic' },
        // The chaos run's images exist in no registry: it exercises crashes, not Artifact Registry.
        preconditions: { image: 'off' },
      },
    },
    services: Object.fromEntries(
      services.map((s) => [
        s,
        {
          project: PROJECT,
          region: REGION,
          image: IMAGE,
          slackChannel: CHANNEL,
          defaultEnvironment: ENV,
          environments: { [ENV]: { cloudRunService: s, publicUrl: `${origin}/app/${s}` } },
        },
      ]),
    ),
    runbooks: {
      canary: {
        kind: 'canary',
        judge: { failureLimit: 0 },
        stages: [
          { name: 'A', traffic: 0, approval: false, checks: ['healthz'] },
          stage('B', 5, '4s', '2s'),
          stage('C', 25, '2s', '1s'),
          stage('D', 50, '2s', '1s'),
          stage('E', 100, '2s', '1s'),
        ],
        rollback: { checks: ['healthz-public'] },
      },
    },
    gates: {
      healthz: {
        kind: 'http',
        path: '/healthz',
        target: 'canary',
        expect: { status: 200, maxLatency: '2s' },
      },
      'healthz-public': {
        kind: 'http',
        path: '/healthz',
        target: 'public',
        expect: { status: 200, maxLatency: '2s' },
      },
    },
  };
}

export async function startWorld(runDir: string, count: number): Promise<World> {
  const handlers: RequestHandler[] = [];
  const served = await serveHandlers(handlers);
  const { origin } = served;
  const slack = createSlackTwin({ apiUrl: `${origin}/slack/api/`, wallClock: true });
  const cloudRun = createCloudRunTwin({ baseUrl: origin, operationPolls: 1 });
  const services = Array.from({ length: count }, (_, i) => serviceName(i + 1));
  const key = (service: string) => ({ project: PROJECT, region: REGION, service });
  for (const service of services) {
    cloudRun.seedService({
      ...key(service),
      image: `${IMAGE}:stable`,
      urls: (tag) => `${origin}/app/${service}${tag ? `/${tag}` : ''}`,
    });
  }
  const history = new TrafficHistory(cloudRun, services.map(key));

  const healthy = (service: string, tag?: string): boolean => {
    const view = cloudRun.service(key(service));
    const revision = tag ? view.tags[tag] : Object.entries(view.split).sort((a, b) => b[1] - a[1])[0]?.[0];
    const image = view.revisions.find((r) => r.name === revision)?.image ?? '';
    const bad = /:bad-[^:/]*$/.test(image);
    return !(bad && revision !== undefined && (view.split[revision] ?? 0) > 0);
  };
  const answer = (ok: boolean) =>
    ok ? HttpResponse.text('ok') : HttpResponse.text('bad build', { status: 500 });

  handlers.push(
    ...slack.handlers,
    http.get(`${origin}/app/:service/healthz`, ({ params }) => answer(healthy(String(params.service)))),
    http.get(`${origin}/app/:service/:tag/healthz`, ({ params }) =>
      answer(healthy(String(params.service), String(params.tag))),
    ),
    // Cloud Run: answered by its twin, then the served splits are looked at (history.ts).
    http.all(`${origin}/v2/*`, async ({ request }) => {
      const path = new URL(request.url).pathname;
      const response = await getResponse(cloudRun.handlers, request);
      history.observe(request.method, path);
      return response ?? new HttpResponse('no twin answers this', { status: 404 });
    }),
  );

  const configFile = join(runDir, 'shiftgate.yaml');
  await writeFile(configFile, JSON.stringify(config(services, origin), null, 2)); // YAML is a superset of JSON
  return {
    origin,
    slack,
    cloudRun,
    history,
    services,
    configFile,
    signingSecret: randomBytes(16).toString('hex'),
    close: () => served.close(),
  };
}
