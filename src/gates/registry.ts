import type { Gate } from '../config/gates.ts';
import type { SecretResolver } from '../config/secret-resolver.ts';
import { errorResult, messageOf } from './error-result.ts';
import { fastSignalFor, fastSignalResult, readLogSignal } from './fast-signal.ts';
import type { DomainMappings } from './ports/domain-mappings.ts';
import type { RequestErrorSource } from './ports/error-counts.ts';
import type { CloudLogging } from './ports/logging.ts';
import type { CloudMonitoring } from './ports/monitoring.ts';
import type { RouteSplitEvaluator } from './ports/route-split.ts';
import { createCloudLoggingGate } from './providers/cloud-logging.ts';
import { createCloudMonitoringGate } from './providers/cloud-monitoring.ts';
import { createDomainMappingGate } from './providers/domain-mapping.ts';
import { createHttpGate } from './providers/http.ts';
import { createPrometheusGate, type PrometheusFactory } from './providers/prometheus.ts';
import { createRouteSplitGate } from './providers/route-split.ts';
import { createSseContractGate } from './providers/sse-contract.ts';
import { redactResult } from './redact.ts';
import type { GateContext, GateProvider, GateResult } from './result.ts';

// One entry point for the engine: evaluate(name, gate, ctx) dispatches on the gate's kind to its
// provider, built once from the ports it needs. It never throws: a provider that throws, or a kind whose
// port was not given, is an `error` result naming why, so a bug in one gate cannot stop a rollout's
// other gates (and the judge treats it as an error, never as a fail).

export interface GatePorts {
  /** For http and sse-contract; the global fetch by default. */
  fetch?: typeof fetch;
  routeSplit?: RouteSplitEvaluator;
  /** routeSplit.baseUrl, shown in route-split evidence. */
  routeSplitUrl?: string;
  prometheus?: PrometheusFactory;
  monitoring?: CloudMonitoring;
  logging?: CloudLogging;
  /** 5xx per revision from the request logs: the error-rate gate's fast signal. */
  errorCounts?: RequestErrorSource;
  /** Cloud Run's domain mappings, for domain-mapping gates. */
  domainMappings?: DomainMappings;
  /** Reads secret references of gates (an http gate's maintenance bypass token). */
  secrets?: SecretResolver;
}

export interface GateRegistry {
  evaluate(name: string, gate: Gate, ctx: GateContext): Promise<GateResult>;
  /**
   * The gate's fast signal alone (a fast tick between the stage's ticks), or undefined when the gate has
   * none here (not an error-rate gate, `fastSignal: false`, or a share with nothing to compare). Never throws.
   * Optional so that wrappers in tests may leave it out: a registry without it has no fast signal.
   */
  evaluateFast?(name: string, gate: Gate, ctx: GateContext): Promise<GateResult | undefined>;
}

type Built = { provider: GateProvider<never> } | { missing: string };

export function createGateRegistry(ports: GatePorts = {}): Required<GateRegistry> {
  const fetchPort = ports.fetch ? { fetch: ports.fetch } : {};
  const built = new Map<string, Built>();

  // Built on first use: a rollout without prometheus gates never needs a Prometheus client.
  function providerFor(gate: Gate): Built {
    const key = gate.kind;
    const cached = built.get(key);
    if (cached) return cached;
    const made = build(gate);
    built.set(key, made);
    return made;
  }

  function build(gate: Gate): Built {
    const { routeSplit, prometheus, monitoring, logging } = ports;
    const kind = gate.kind;
    switch (kind) {
      case 'http':
        return {
          provider: createHttpGate({ ...fetchPort, ...(ports.secrets ? { secrets: ports.secrets } : {}) }),
        };
      case 'sse-contract':
        return { provider: createSseContractGate(fetchPort) };
      case 'route-split':
        // The rollout's own control comes in the context; this one serves when none does.
        return {
          provider: createRouteSplitGate({
            ...(routeSplit ? { evaluator: routeSplit } : {}),
            ...(ports.routeSplitUrl ? { baseUrl: ports.routeSplitUrl } : {}),
          }),
        };
      case 'prometheus':
        if (!prometheus) return { missing: 'no Prometheus client is configured' };
        return { provider: createPrometheusGate({ prometheus }) };
      case 'cloud-monitoring':
        if (!monitoring) return { missing: 'no Cloud Monitoring client is configured' };
        return {
          provider: createCloudMonitoringGate({
            monitoring,
            ...(ports.errorCounts ? { errorCounts: ports.errorCounts } : {}),
          }),
        };
      case 'cloud-logging':
        if (!logging || !monitoring) {
          return { missing: `no Cloud ${logging ? 'Monitoring' : 'Logging'} client is configured` };
        }
        return { provider: createCloudLoggingGate({ logging, monitoring }) };
      case 'domain-mapping':
        if (!ports.domainMappings) return { missing: 'no Cloud Run domain-mappings client is configured' };
        return { provider: createDomainMappingGate({ mappings: ports.domainMappings }) };
      default: {
        // Unreachable for a parsed config (the compiler checks every kind is above); kept for raw input.
        const unknown: never = kind;
        return { missing: `no provider for gate kind "${String(unknown)}"` };
      }
    }
  }

  async function evaluate(name: string, gate: Gate, ctx: GateContext): Promise<GateResult> {
    const failed = (reason: string) =>
      errorResult(name, gate, ctx, {
        metric: `${gate.kind} gate ${name}`,
        threshold: '-',
        evidence: '-',
        reason,
      });
    let result: GateResult;
    try {
      const made = providerFor(gate);
      if ('missing' in made) return failed(made.missing);
      result = await (made.provider as GateProvider<Gate>).evaluate(name, gate, ctx);
    } catch (error) {
      result = failed(`the ${gate.kind} gate broke unexpectedly: ${messageOf(error)}`);
    }
    return redactResult(result, ctx.accessToken);
  }

  async function evaluateFast(name: string, gate: Gate, ctx: GateContext): Promise<GateResult | undefined> {
    if (gate.kind !== 'cloud-monitoring' || gate.metric !== 'error-rate') return undefined;
    const signal = fastSignalFor(gate, ctx);
    if (!signal) return undefined;
    const result = fastSignalResult(name, ctx, await readLogSignal(ports.errorCounts, signal, ctx));
    return redactResult(result, ctx.accessToken);
  }

  return { evaluate, evaluateFast };
}
