import { createServer, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { CloudRunTwin, ServiceKey } from '../twins/cloud-run/index.ts';
import type { LoggingTwin } from '../twins/logging/index.ts';
import type { MonitoringTwin } from '../twins/monitoring/index.ts';

// Cloud Run's front door for the demo service, on loopback: the service URL splits requests between
// revisions as the Cloud Run twin's served traffic says at that moment (trafficStatuses, read at each
// request), and `/_tag/<tag>/...` is a tag's URL (the canary's, which the smoke checks hit). A revision
// runs the build its image tag names (`<image>:bad` the bad build, any other tag the good one).
//
// Every answer is fed to the observability twins as Cloud Run would report it: the Monitoring twin
// gets each request's status and latency under its revision (request_count, request_latencies; batched
// per second, so a sandbox left running for hours stays small), and the Logging twin gets the request log
// line of every 5xx (the only request lines the sandbox's error-spike gate reads).

export type Build = 'good' | 'bad';

export interface ProxyOptions {
  cloudRun: CloudRunTwin;
  service: ServiceKey;
  /** Origin of the process running each build. */
  builds: Record<Build, string>;
  monitoring: MonitoringTwin;
  logging: LoggingTwin;
  /** The tag an image deployed by digest was pushed as (canaries deploy by digest: seeds 000, 001). */
  tagOf?: (image: string) => string | undefined;
  /** The flag that switches the bad build's behaviour on (seed 003's canary in the sandbox): when it reads true, every revision answers as the bad build does. */
  faulty?: () => boolean;
}

/** What the proxy served since it started: the sandbox's Prometheus answers from these. */
export interface ProxyCounters {
  requests: number;
  errors5xx: number;
  /** 5xx answered while the faulty flag was on: the demo's golden_mismatch_total. */
  mismatches: number;
}

export interface RevisionTraffic {
  revision: string;
  build: Build;
  /** Percent of the service URL's requests it is given now. */
  percent: number;
  tags: string[];
  /** Requests and 5xx answers over the last 10 seconds. */
  requests: number;
  errors5xx: number;
}

export interface DemoProxy {
  origin: string;
  /** The URL of the service (no tag) or of one of its tags. */
  url(tag?: string): string;
  /** The service's revisions as the proxy routes them now, with their recent traffic. */
  traffic(): RevisionTraffic[];
  /** Hands the requests of the current second to Monitoring now (it does so every second). */
  flush(): void;
  /** Cumulative counts since start, as a Prometheus counter would have them. */
  counters(): ProxyCounters;
  stop(): Promise<void>;
}

export const TAG_PREFIX = '/_tag/';
const RECENT_MS = 10_000;

/** The image's tag: after `:`, or, for an image deployed by digest, what `tagOf` knows of it. */
export const buildOf = (image: string, tagOf?: (image: string) => string | undefined): Build =>
  (tagOf?.(image) ?? image.slice(image.lastIndexOf(':') + 1)) === 'bad' ? 'bad' : 'good';

/** A revision drawn by weight from a split in percent. */
export function pick(split: Record<string, number>, random = Math.random()): string | undefined {
  const entries = Object.entries(split).filter(([, percent]) => percent > 0);
  const total = entries.reduce((sum, [, percent]) => sum + percent, 0);
  let at = random * total;
  for (const [revision, percent] of entries) {
    at -= percent;
    if (at < 0) return revision;
  }
  return entries.at(-1)?.[0];
}

export async function startProxy(options: ProxyOptions): Promise<DemoProxy> {
  const { cloudRun, service } = options;
  const feed = metricsFeed(options);
  const recent: { at: number; revision: string; error: boolean }[] = [];
  const counters: ProxyCounters = { requests: 0, errors5xx: 0, mismatches: 0 };

  const server = createServer(async (req, res) => {
    const started = performance.now();
    const view = cloudRun.service(service);
    const url = new URL(req.url ?? '/', 'http://proxy');
    const tagged = url.pathname.startsWith(TAG_PREFIX)
      ? /^\/_tag\/([a-z0-9-]+)(\/.*)?$/.exec(url.pathname)
      : undefined;
    const revision = tagged ? view.tags[tagged[1] as string] : pick(view.split);
    const image = view.revisions.find((r) => r.name === revision)?.image;
    if (!revision || !image) {
      // As Cloud Run answers a tag that does not exist.
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(tagged ? `no revision is tagged ${tagged[1]}\n` : 'the service serves no revision\n');
      return;
    }
    const path = (tagged ? (tagged[2] ?? '/') : url.pathname) + url.search;
    const faulty = options.faulty?.() === true;
    const build = faulty ? 'bad' : buildOf(image, options.tagOf);
    let status = 502;
    // A client that hangs up mid-stream closes the upstream stream too, as Cloud Run does.
    const hangUp = new AbortController();
    res.once('close', () => hangUp.abort());
    try {
      const upstream = await fetch(`${options.builds[build]}${path}`, {
        signal: hangUp.signal,
        method: req.method ?? 'GET',
        headers: { 'x-cloud-run-revision': revision, accept: String(req.headers.accept ?? '*/*') },
        ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: await bodyOf(req) }),
      });
      status = upstream.status;
      // The revision's own headers (a stream's x-vercel-ai-ui-message-stream among them), and its body
      // as it comes: a chat stream passes through as a stream, as Cloud Run serves one.
      res.writeHead(status, {
        'content-type': 'application/octet-stream',
        ...passedOn(upstream.headers),
        'x-served-by': revision,
      });
      for await (const chunk of upstream.body ?? []) res.write(chunk);
      res.end();
    } catch (error) {
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`the revision ${revision} did not answer: ${(error as Error).message}\n`);
      }
    }
    const latencyMs = Math.round(performance.now() - started);
    feed.add(revision, status, latencyMs, req.method ?? 'GET', path);
    counters.requests += 1;
    if (status >= 500) {
      counters.errors5xx += 1;
      if (faulty) counters.mismatches += 1;
    }
    const now = Date.now();
    recent.push({ at: now, revision, error: status >= 500 });
    while (recent.length > 0 && (recent[0] as { at: number }).at < now - RECENT_MS) recent.shift();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    url: (tag) => (tag ? `${origin}${TAG_PREFIX}${tag}` : origin),
    traffic() {
      const view = cloudRun.service(service);
      const since = Date.now() - RECENT_MS;
      return view.revisions.map(({ name, image }) => {
        const served = recent.filter((r) => r.revision === name && r.at >= since);
        return {
          revision: name,
          build: buildOf(image, options.tagOf),
          percent: view.split[name] ?? 0,
          tags: Object.entries(view.tags)
            .filter(([, revision]) => revision === name)
            .map(([tag]) => tag),
          requests: served.length,
          errors5xx: served.filter((r) => r.error).length,
        };
      });
    },
    flush: () => feed.flush(),
    counters: () => ({ ...counters }),
    async stop() {
      feed.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Headers that describe this connection or the encoded body, which fetch has decoded: not passed on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'content-length',
  'content-encoding',
]);

function passedOn(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers].filter(([name]) => !HOP_BY_HOP.has(name)));
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Requests into the Monitoring twin, one batch per second per (revision, status); 5xx lines into Logging. */
function metricsFeed(options: ProxyOptions) {
  const { monitoring, logging, service } = options;
  let pending = new Map<string, { revision: string; status: number; latencies: number[]; at: number }>();
  const flush = () => {
    const batches = pending;
    pending = new Map();
    for (const { revision, status, latencies, at } of batches.values()) {
      const base = { requests: latencies.length, latencyMs: latencies, at, service: service.service };
      monitoring.addTraffic(
        revision,
        status >= 500 ? { ...base, errors5xx: latencies.length, errorStatus: status } : { ...base, status },
      );
    }
  };
  const timer = setInterval(flush, 1000);
  return {
    add(revision: string, status: number, latencyMs: number, method: string, url: string) {
      const key = `${revision} ${status}`;
      const batch = pending.get(key) ?? { revision, status, latencies: [], at: Date.now() };
      batch.latencies.push(latencyMs);
      pending.set(key, batch);
      if (status >= 500) {
        logging.recordRequest(revision, { method, url, status, latencyMs, service: service.service });
      }
    },
    flush,
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}
