import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Counter, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach } from 'vitest';

// A real Prometheus server for tests (the binary of Debian's `prometheus` package, which scripts/env.sh
// sg_provision_prometheus installs and names in SHIFTGATE_PROMETHEUS), and a small app whose metrics it
// scrapes and the test drives. Each server has its own config, storage in a temp dir and a free loopback
// port, so a packaged service on :9090 neither helps nor hurts. A missing binary is an error that says
// how to install it: these tests never skip.
//
// Timing: Prometheus hands discovered targets to its scrape loops every 5 s, so the first scrape comes
// about 5 s after start whatever the interval (later ones every scrapeIntervalMs). Start one server per
// test file (usePrometheus), with every app it will scrape, and give each test its own app (select it by
// `instance`).

const INSTALL_HINT =
  'run the tests with `bash scripts/test.sh` (as root on Debian/Ubuntu it installs the `prometheus` package), ' +
  'or install it yourself (Debian/Ubuntu: apt-get install --no-install-recommends prometheus; elsewhere ' +
  'https://prometheus.io/download/), or set SHIFTGATE_PROMETHEUS to a Prometheus server binary';

/** The Prometheus server binary: SHIFTGATE_PROMETHEUS, else `prometheus` on PATH, else /usr/bin/prometheus. */
export function prometheusBinary(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.SHIFTGATE_PROMETHEUS;
  if (named) {
    if (executable(named)) return named;
    throw new Error(`SHIFTGATE_PROMETHEUS=${named} is not an executable Prometheus server: ${INSTALL_HINT}`);
  }
  const onPath = (env.PATH ?? '').split(delimiter).filter(Boolean);
  const found = [...onPath.map((dir) => join(dir, 'prometheus')), '/usr/bin/prometheus'].find(executable);
  if (found) return found;
  throw new Error(
    `The real-Prometheus tests need a Prometheus server and none is installed: ${INSTALL_HINT}`,
  );
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface PrometheusServerOptions {
  /** host:port of every app to scrape, all in one job; each one's `instance` label is its host:port. */
  targets: readonly string[];
  /** Scrape interval (and timeout); default 500. Prometheus takes it as a duration such as "500ms". */
  scrapeIntervalMs?: number;
  /** The job name; default "app". */
  job?: string;
}

export interface PrometheusServer {
  /** e.g. http://127.0.0.1:41234, where /api/v1/query answers. */
  url: string;
  /**
   * Resolves once every target has been scraped successfully after the call (its `up` sample is newer
   * than the call and is 1), so what the test did to the apps before calling is in Prometheus. Rejects
   * after timeoutMs (default 15 s, to cover the first scrape), naming each target's last scrape error.
   */
  waitForScrape(options?: { timeoutMs?: number }): Promise<void>;
  /** Stops the server and removes its storage; safe to call twice. */
  stop(): Promise<void>;
}

/** Servers still running, killed (and their dirs removed) if the test process exits without stop(). */
const running = new Set<{ child: ChildProcess; dir: string }>();
let exitHookInstalled = false;

export async function startPrometheus(options: PrometheusServerOptions): Promise<PrometheusServer> {
  const binary = prometheusBinary();
  const { targets, scrapeIntervalMs = 500, job = 'app' } = options;
  if (!Number.isInteger(scrapeIntervalMs) || scrapeIntervalMs < 1) {
    throw new Error(`scrapeIntervalMs must be a whole number of milliseconds, got ${scrapeIntervalMs}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'shiftgate-prometheus-'));
  // JSON is YAML, and quoting each value keeps a target from reshaping the config.
  const config = {
    global: { scrape_interval: `${scrapeIntervalMs}ms`, scrape_timeout: `${scrapeIntervalMs}ms` },
    scrape_configs: [{ job_name: job, static_configs: [{ targets }] }],
  };
  await writeFile(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));

  // A port found free may be taken before Prometheus binds it: try another a few times.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const started = await launch(binary, dir, port);
    if (started.ok) return serverOf(started.child, dir, `http://127.0.0.1:${port}`, job, targets);
    if (attempt >= 3 || !started.log.includes('address already in use')) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`Prometheus (${binary}) did not start: ${started.why}\n${tail(started.log)}`);
    }
  }
}

/**
 * A Prometheus server for the calling test file, scraping the targets `options` names (called in
 * beforeAll, so apps from useTestMetricsApp() registered before it are up); stopped in afterAll. It starts
 * in the background: the first test waits for its first scrape (about 5 s; several servers wait side by
 * side). When it cannot start or scrape, every test fails with the reason, where a failing beforeAll
 * would only mark them skipped.
 */
export function usePrometheus(options: () => PrometheusServerOptions): PrometheusServer {
  let server: PrometheusServer | undefined;
  let ready: Promise<void> | undefined;
  beforeAll(() => {
    ready = (async () => {
      server = await startPrometheus(options());
      await server.waitForScrape();
    })();
    ready.catch(() => {}); // reported by beforeEach, to each test
  });
  beforeEach(() => ready);
  afterAll(async () => {
    await ready?.catch(() => {});
    await server?.stop();
  });
  const current = (): PrometheusServer => {
    if (server) return server;
    throw new Error('the Prometheus server starts in beforeAll: use it in tests and later hooks');
  };
  return {
    get url() {
      return current().url;
    },
    waitForScrape: (waitOptions) => current().waitForScrape(waitOptions),
    stop: () => current().stop(),
  };
}

type Launched = { ok: true; child: ChildProcess } | { ok: false; why: string; log: string };

async function launch(binary: string, dir: string, port: number): Promise<Launched> {
  const logPath = join(dir, 'prometheus.log');
  const log = openSync(logPath, 'a');
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  const entry = { child, dir };
  running.add(entry);
  installExitHook();
  child.once('exit', () => running.delete(entry));
  watchdog(child, dir);

  const url = `http://127.0.0.1:${port}/-/ready`;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      return { ok: false, why: `it exited (${child.exitCode ?? child.signalCode})`, log: await readLog() };
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.ok) return { ok: true, child };
    } catch {}
    await pause(25);
  }
  await stopChild(child);
  return { ok: false, why: `${url} was not ready within 15 s`, log: await readLog() };

  function readLog() {
    return readFile(logPath, 'utf8').catch(() => '');
  }
}

function serverOf(
  child: ChildProcess,
  dir: string,
  url: string,
  job: string,
  targets: readonly string[],
): PrometheusServer {
  let stopped: Promise<void> | undefined;
  return {
    url,
    async waitForScrape({ timeoutMs = 15_000 } = {}) {
      const since = Date.now();
      const deadline = since + timeoutMs;
      // timestamp() of a bare selector is the scrape's own time (of anything else, the query's).
      const up = `up{job="${job}"}`;
      const query = `timestamp(${up}) and on (instance) (${up} == 1)`;
      for (;;) {
        const scraped = new Map<string, number>();
        try {
          for (const series of await instantQuery(url, query)) {
            scraped.set(series.metric.instance ?? '', Number(series.value[1]) * 1000);
          }
        } catch {}
        if (targets.every((target) => (scraped.get(target) ?? 0) >= since)) return;
        if (Date.now() > deadline) {
          throw new Error(
            `Prometheus at ${url} did not scrape ${targets.join(', ')} within ${timeoutMs} ms: ${await targetErrors(url)}`,
          );
        }
        await pause(50);
      }
    },
    stop() {
      stopped ??= (async () => {
        await stopChild(child);
        await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

async function instantQuery(url: string, query: string) {
  const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query })}`, {
    signal: AbortSignal.timeout(2_000),
  });
  const body = (await response.json()) as {
    data?: { result?: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return body.data?.result ?? [];
}

/** Each target's health and last scrape error, from /api/v1/targets, for a timeout's message. */
async function targetErrors(url: string): Promise<string> {
  try {
    const response = await fetch(`${url}/api/v1/targets`, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as {
      data?: { activeTargets?: { scrapeUrl: string; health: string; lastError: string }[] };
    };
    const active = body.data?.activeTargets ?? [];
    if (active.length === 0) return 'it lists no active targets yet';
    return active
      .map((t) => `${t.scrapeUrl} ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`)
      .join('; ');
  } catch (error) {
    return `its targets could not be read (${(error as Error).message})`;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const { child, dir } of running) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/**
 * A test process killed outright runs no exit hook: a detached shell, outside its process group, waits for
 * it to go, then kills this Prometheus and removes its dir. It ends by itself once Prometheus has exited.
 */
function watchdog(child: ChildProcess, dir: string) {
  if (child.pid === undefined) return;
  const script =
    'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
    'kill -0 "$2" 2>/dev/null && { kill -9 "$2"; rm -rf "$3"; }; exit 0';
  spawn('sh', ['-c', script, 'sh', String(process.pid), String(child.pid), dir], {
    detached: true,
    stdio: 'ignore',
  }).unref();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tail = (log: string) => log.trim().split('\n').slice(-10).join('\n');

// The app Prometheus scrapes.

/** Buckets of request_duration_seconds, in seconds: 25 ms to 10 s. */
export const LATENCY_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Statuses whose requests_total series exist at 0 from the start (see requests()). */
const KNOWN_STATUSES = ['200', '404', '500', '503'];

export interface TestMetricsApp {
  /** host:port where GET /metrics answers; Prometheus' `instance` label for this app. */
  readonly target: string;
  /**
   * Serves `count` requests: requests_total{status} grows by count and each is observed in the
   * request_duration_seconds histogram at latencyMs (defaults: status 200, 40 ms). The series of 200,
   * 404, 500 and 503 exist at 0 from the start; another status' series first appears with its first
   * count, which rate() cannot see (as in any real app).
   */
  requests(count: number, options?: { status?: number; latencyMs?: number }): void;
  /** requests() answered 500. */
  errors(count: number, options?: { latencyMs?: number }): void;
  /** golden_mismatch_total grows by count (default 1). */
  mismatches(count?: number): void;
  close(): Promise<void>;
}

/** A node:http server on a free loopback port exposing /metrics (prom-client's text format). */
export async function startTestMetricsApp(): Promise<TestMetricsApp> {
  const registry = new Registry();
  const requestsTotal = new Counter({
    name: 'requests_total',
    help: 'Requests served, by status',
    labelNames: ['status'],
    registers: [registry],
  });
  for (const status of KNOWN_STATUSES) requestsTotal.inc({ status }, 0);
  const latency = new Histogram({
    name: 'request_duration_seconds',
    help: 'Request latency',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const golden = new Counter({
    name: 'golden_mismatch_total',
    help: 'Answers that differed from the golden ones',
    registers: [registry],
  });

  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const app: TestMetricsApp = {
    target: `127.0.0.1:${port}`,
    requests(count, { status = 200, latencyMs = 40 } = {}) {
      requestsTotal.inc({ status: String(status) }, count);
      for (let i = 0; i < count; i++) latency.observe(latencyMs / 1000);
    },
    errors(count, { latencyMs } = {}) {
      app.requests(count, { status: 500, latencyMs });
    },
    mismatches(count = 1) {
      golden.inc(count);
    },
    async close() {
      // Prometheus keeps its scrape connection open; close it rather than wait for it.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return app;
}

/** A test metrics app for the calling test file: started in beforeAll, closed in afterAll. */
export function useTestMetricsApp(): TestMetricsApp {
  let app: TestMetricsApp | undefined;
  beforeAll(async () => {
    app = await startTestMetricsApp();
  });
  afterAll(() => app?.close());
  const current = (): TestMetricsApp => {
    if (!app) throw new Error('the test metrics app starts in beforeAll: use it in tests and later hooks');
    return app;
  };
  return {
    get target() {
      return current().target;
    },
    requests: (count, options) => current().requests(count, options),
    errors: (count, options) => current().errors(count, options),
    mismatches: (count) => current().mismatches(count),
    close: () => current().close(),
  };
}
