import { WebClient, type WebClientOptions } from '@slack/web-api';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { GateRegistry } from '../gates/registry.ts';
import { PlatformError } from '../runbooks/ports/errors.ts';
import type { Store } from '../store/index.ts';

// The bot's own metrics, in Prometheus' text format on GET /metrics (DESIGN.md, "Roles, locks and
// approvals"): rollouts by state, gate evaluations by result, traffic changes, and the latency and errors
// of every call to Slack and Google. Counters live per replica; the rollouts gauge is read from Redis at
// each scrape, so every replica reports the same, true figure.

export type Api = 'slack' | 'cloud-run' | 'monitoring' | 'logging';

export interface Metrics {
  registry: Registry;
  /** The text a scrape gets, and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
  /** Counts every evaluation of the registry by gate kind and result. */
  gates(registry: GateRegistry): GateRegistry;
  /** Times every method of a platform port; `traffic` names the methods that change traffic. */
  port<T extends object>(api: Api, port: T, traffic?: readonly string[]): T;
  /** A WebClient whose every Web API call is timed (method, ok or Slack's error code). */
  slackClient(token: string, options?: WebClientOptions): WebClient;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(deps: { store: Store }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'shiftgate_rollouts',
    help: 'Active rollouts and rollbacks by status (read from Redis at each scrape)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const record of await deps.store.rollouts.listActive()) this.inc({ status: record.status });
    },
  });
  const evaluations = new Counter({
    name: 'shiftgate_gate_evaluations_total',
    help: 'Gate evaluations by gate kind and result (pass, fail, inconclusive, skipped, error)',
    labelNames: ['kind', 'status'],
    registers: [registry],
  });
  const trafficChanges = new Counter({
    name: 'shiftgate_traffic_changes_total',
    help: 'Traffic changes Cloud Run accepted, by Cloud Run service and kind (set-split, rollback)',
    labelNames: ['service', 'change'],
    registers: [registry],
  });
  const calls = new Histogram({
    name: 'shiftgate_api_request_duration_seconds',
    help: 'Calls to Slack and Google APIs by api, method and outcome (ok or the error kind)',
    labelNames: ['api', 'method', 'outcome'],
    buckets: SECONDS,
    registers: [registry],
  });

  async function timed<T>(api: Api, method: string, call: () => Promise<T>): Promise<T> {
    const end = calls.startTimer({ api, method });
    try {
      const result = await call();
      end({ outcome: 'ok' });
      return result;
    } catch (error) {
      end({ outcome: outcomeOf(error) });
      throw error;
    }
  }

  return {
    registry,
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },

    gates: (inner) => ({
      async evaluate(name, gate, ctx) {
        const result = await inner.evaluate(name, gate, ctx);
        evaluations.inc({ kind: gate.kind, status: result.status });
        return result;
      },
      ...(inner.evaluateFast
        ? {
            async evaluateFast(name, gate, ctx) {
              const result = await inner.evaluateFast?.(name, gate, ctx);
              if (result) evaluations.inc({ kind: gate.kind, status: result.status });
              return result;
            },
          }
        : {}),
    }),

    port(api, port, traffic = []) {
      return new Proxy(port, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver);
          if (typeof value !== 'function') return value;
          // Methods run on the port itself (its private fields), timed unless they only close it or
          // answer at once without a call (completeThrough is synchronous: wrapping it would make it async).
          if (typeof key !== 'string' || UNTIMED.has(key)) return value.bind(target);
          return async (...args: unknown[]) => {
            const result = await timed(api, key, () => value.apply(target, args) as Promise<unknown>);
            if (traffic.includes(key)) {
              const ref = args[0] as { service?: string } | undefined;
              trafficChanges.inc({
                service: ref?.service ?? 'unknown',
                change: key === 'rollbackTo' ? 'rollback' : 'set-split',
              });
            }
            return result;
          };
        },
      });
    },

    slackClient(token, options) {
      return new MeasuredWebClient(token, options, timed);
    },
  };
}

const UNTIMED = new Set(['close', 'completeThrough']);

/** `ok`, Slack's error code, or the platform error's kind: few values, so the label stays small. */
function outcomeOf(error: unknown): string {
  if (error instanceof PlatformError) return error.kind;
  const slack = (error as { data?: { error?: unknown }; code?: unknown }).data?.error;
  if (typeof slack === 'string') return slack;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'error';
}

/** Every Web API method goes through apiCall: timing it times them all. */
class MeasuredWebClient extends WebClient {
  readonly #timed: <T>(api: Api, method: string, call: () => Promise<T>) => Promise<T>;
  constructor(
    token: string,
    options: WebClientOptions | undefined,
    timed: <T>(api: Api, method: string, call: () => Promise<T>) => Promise<T>,
  ) {
    super(token, options);
    this.#timed = timed;
  }
  override apiCall(method: string, options?: Record<string, unknown>) {
    return this.#timed('slack', method, () => super.apiCall(method, options));
  }
}
