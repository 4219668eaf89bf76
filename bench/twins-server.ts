// The twins of the engine benchmark (bench/engine.ts), in a process of their own so that the measured
// process holds the engine and nothing else, as a bot replica does in production. It creates the Cloud
// Run and Monitoring twins, seeds the services, serves their msw handlers over loopback HTTP (through
// msw's getResponse, as the sandbox serves them) and prints one JSON line on stdout:
// {"origin": "http://127.0.0.1:PORT"}. It exits when its stdin closes: the engine child holds the other
// end, so the twins end with the child, however it ends.
//
// Run by the engine child: node bench/twins-server.ts '{"project":..,"region":..,"image":..,"services":[..]}'
//
// Bench-only admin routes, on the same origin:
//   POST /__bench/watching {"feed": boolean}: every rollout is watching. Drops the twins' request logs
//     (from then on they hold the measured phase's requests only) and, if feed, adds healthy traffic on
//     every revision of every seeded service around the measured minute (BENCH_GATE=monitoring);
//     answers {"fed": revisions fed}.
//   GET /__bench/stats: {cloudRunRequests, monitoringRequests, batches, rssMb, heapMb} (BENCH_TRACE=1).

import { HttpResponse, http, type RequestHandler } from 'msw';
import { createCloudRunTwin } from '../sandbox/twins/cloud-run/index.ts';
import { createMonitoringTwin, INSTANT_DATA } from '../sandbox/twins/monitoring/index.ts';
import { serveHandlers } from '../sandbox/twins/serve.ts';

export interface TwinsSpec {
  project: string;
  region: string;
  /** Image of every seeded service's one revision. */
  image: string;
  /** Cloud Run service names, each seeded with one ready revision serving 100 %. */
  services: string[];
}

const spec = JSON.parse(process.argv[2] ?? '') as TwinsSpec;
const { project, region } = spec;

const handlers: RequestHandler[] = [];
const { origin } = await serveHandlers(handlers);
const cloudRun = createCloudRunTwin({ operationPolls: 0, baseUrl: origin });
const metrics = createMonitoringTwin({
  project,
  service: spec.services[0],
  location: region,
  origin,
  ...INSTANT_DATA,
});

/** Healthy traffic on every revision of every service, 15 batches 10 s apart around now. */
function feed(): number {
  const now = Date.now();
  let fed = 0;
  for (const service of spec.services) {
    for (const { name: revision } of cloudRun.service({ project, region, service }).revisions) {
      fed += 1;
      for (let k = -7; k <= 7; k++) {
        metrics.addTraffic(revision, { requests: 50, at: now + k * 10_000, service });
      }
    }
  }
  return fed;
}

const admin = [
  http.post(`${origin}/__bench/watching`, async ({ request }) => {
    const { feed: wanted } = (await request.json()) as { feed?: boolean };
    cloudRun.recorder.requests.length = 0;
    metrics.recorder.requests.length = 0;
    return HttpResponse.json({ fed: wanted ? feed() : 0 });
  }),
  http.get(`${origin}/__bench/stats`, () => {
    const m = process.memoryUsage();
    return HttpResponse.json({
      cloudRunRequests: cloudRun.recorder.requests.length,
      monitoringRequests: metrics.recorder.requests.length,
      batches: metrics.batches().length,
      rssMb: m.rss / 2 ** 20,
      heapMb: m.heapUsed / 2 ** 20,
    });
  }),
];
handlers.push(...admin, ...cloudRun.handlers, ...metrics.handlers);

for (const service of spec.services) cloudRun.seedService({ project, region, service, image: spec.image });

// The engine child holds stdin's other end: it closes when the child exits, however it exits.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
console.log(JSON.stringify({ origin }));
