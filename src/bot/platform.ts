import type { ShiftgateConfig } from '../config/schema.ts';
import type { SecretResolver } from '../config/secret-resolver.ts';
import { serviceTarget } from '../config/target.ts';
import type { CloudLogging } from '../gates/ports/logging.ts';
import type { CloudMonitoring } from '../gates/ports/monitoring.ts';
import { createGateRegistry, type GateRegistry } from '../gates/registry.ts';
import type { Api, Metrics } from '../metrics/metrics.ts';
import { ArtifactRegistryAdapter } from '../platform/artifact-registry/index.ts';
import { type CloudBuildAdapter, createCloudBuild } from '../platform/cloud-build/index.ts';
import { CloudRunAdapter, createDomainMappings } from '../platform/cloud-run/index.ts';
import { type CloudSqlAdapter, createCloudSql } from '../platform/cloud-sql/index.ts';
import { createCheckRuns } from '../platform/github/index.ts';
import type { GoogleEndpoint } from '../platform/google.ts';
import { createServiceAccounts } from '../platform/iam/index.ts';
import { createCloudLogging, createRequestErrorSource } from '../platform/logging/index.ts';
import { createCloudMonitoring, createErrorBudgetReader } from '../platform/monitoring/index.ts';
import { createPreconditions } from '../platform/preconditions.ts';
import { createPrometheus } from '../platform/prometheus/index.ts';
import { reportSinkOf } from '../platform/reports/index.ts';
import { createRouteSplit } from '../platform/route-split/index.ts';
import { createStorageObjects } from '../platform/storage/index.ts';
import type { ErrorBudgetReader } from '../runbooks/ports/error-budget.ts';
import type { Preconditions } from '../runbooks/ports/preconditions.ts';
import type { ReportSink } from '../runbooks/ports/report-sink.ts';
import type { RouteSplitControl } from '../runbooks/ports/route-split.ts';
import type { CheckRuns, StorageObjects } from '../validation/ports.ts';

// The platform adapters one replica needs, built from the environment and the config: Google clients
// (Application Default Credentials in production; a twin's endpoint in the sandbox), one route-split
// client per service environment that has one (its token resolved now, so a bad reference stops the
// start instead of a rollback), and the gate registry over them.

export interface Platform {
  cloudRun: CloudRunAdapter;
  routeSplit: (service: string, env: string) => RouteSplitControl | undefined;
  gates: GateRegistry;
  /** For the validation matrix's log probes (the gates reach it through the registry). */
  logging: CloudLogging;
  prometheus: (url: string | undefined) => ReturnType<typeof createPrometheus>;
  /** SLO error budgets from Cloud Monitoring (the stream cutover's hard gate). */
  errorBudget: ErrorBudgetReader;
  /** Artifact Registry and Cloud Run reads before a canary deploys. */
  preconditions: Preconditions;
  /**
   * Where an environment keeps its evidence reports beyond Redis (its `reports` config): undefined when it
   * configures none. Built at first use and kept; a GitHub token reference that cannot be resolved
   * rejects (and is tried again on the next call).
   */
  reportSinks: (env: string) => Promise<ReportSink | undefined>;
  /** The validation matrix's external-ci lanes: Cloud Build builds and GitHub check runs. */
  cloudBuild: CloudBuildAdapter;
  checkRuns: CheckRuns;
  /** The validation matrix's backup lanes: Cloud Storage objects and Cloud SQL backup runs. */
  storage: StorageObjects;
  sqlBackups: CloudSqlAdapter;
  close(): Promise<void>;
}

/** `http://127.0.0.1:8790` -> the endpoint the Google clients take. */
export function googleEndpoint(url: string | undefined): GoogleEndpoint | undefined {
  if (!url) return undefined;
  const parsed = new URL(url);
  const protocol = parsed.protocol === 'https:' ? 'https' : 'http';
  return { host: parsed.hostname, port: Number(parsed.port || (protocol === 'https' ? 443 : 80)), protocol };
}

export async function buildPlatform(input: {
  projectId: string;
  config: ShiftgateConfig;
  secrets: SecretResolver;
  endpoint?: GoogleEndpoint | undefined;
  /** Wraps Cloud Monitoring for the gates (the sandbox widens short windows). */
  monitoring?: (monitoring: CloudMonitoring) => CloudMonitoring;
  /** Times every Google call and counts gate results and traffic changes (GET /metrics). */
  metrics?: Metrics;
  /** GitHub API base for the report sinks, overriding reports.github.apiUrl (the sandbox's twin). */
  githubApiUrl?: string | undefined;
}): Promise<Platform> {
  const google = { projectId: input.projectId, ...(input.endpoint ? { endpoint: input.endpoint } : {}) };
  const { metrics } = input;
  const measured = <T extends object>(api: Api, port: T, traffic?: readonly string[]) =>
    metrics ? metrics.port(api, port, traffic) : port;
  const cloudRun = measured('cloud-run', new CloudRunAdapter({ google }), [
    'setSplit',
    'rollbackTo',
    'setTraffic',
  ]);
  const visibility = {
    samplePeriodMs: input.config.monitoring.samplePeriod,
    ingestionLatencyMs: input.config.monitoring.ingestionLatency,
  };
  const monitoring = measured('monitoring', createCloudMonitoring({ target: google, visibility }));
  const logging = measured('logging', createCloudLogging({ target: google }));
  const errorBudget = measured('monitoring', createErrorBudgetReader({ target: google }));
  const domainMappings = measured('cloud-run', createDomainMappings({ google }));
  const cloudBuild = createCloudBuild({ google });
  const sqlBackups = createCloudSql({ google });
  // One reader of Cloud Run's request logs per replica, shared by every rollout's fast signal.
  const errorCounts = createRequestErrorSource({ list: logging.listEntries });

  const controls = new Map<string, RouteSplitControl>();
  for (const [service, svc] of Object.entries(input.config.services)) {
    for (const env of Object.keys(svc.environments)) {
      const split = serviceTarget(input.config, service, env)?.routeSplit;
      if (!split) continue;
      const token = await input.secrets.resolve(split.token);
      controls.set(
        `${service}/${env}`,
        createRouteSplit({ baseUrl: split.baseUrl, token, tokenSource: split.token.ref }),
      );
    }
  }
  const prometheus = (url: string | undefined) => {
    if (!url)
      throw new Error('no Prometheus URL: set prometheusUrl on the service environment or url on the gate');
    return createPrometheus({ baseUrl: url });
  };

  const sinks = new Map<string, Promise<ReportSink | undefined>>();
  const reportSinks = (env: string): Promise<ReportSink | undefined> => {
    let sink = sinks.get(env);
    if (!sink) {
      sink = reportSinkOf(input.config.environments[env]?.reports, {
        google,
        secrets: input.secrets,
        ...(input.githubApiUrl ? { githubBaseUrl: input.githubApiUrl } : {}),
      });
      sinks.set(env, sink);
      sink.catch(() => sinks.delete(env));
    }
    return sink;
  };

  return {
    cloudRun,
    routeSplit: (service, env) => controls.get(`${service}/${env}`),
    gates: ((registry: GateRegistry) => (metrics ? metrics.gates(registry) : registry))(
      createGateRegistry({
        monitoring: input.monitoring ? input.monitoring(monitoring) : monitoring,
        logging,
        errorCounts,
        prometheus,
        domainMappings,
        secrets: input.secrets,
      }),
    ),
    logging,
    prometheus,
    errorBudget,
    preconditions: createPreconditions({
      registry: new ArtifactRegistryAdapter({ google }),
      cloudRun,
      iam: createServiceAccounts({ google }),
    }),
    reportSinks,
    cloudBuild,
    checkRuns: createCheckRuns(input.githubApiUrl ? { baseUrl: input.githubApiUrl } : {}),
    storage: createStorageObjects({ target: google }),
    sqlBackups,
    async close() {
      await Promise.allSettled([
        cloudRun.close(),
        monitoring.close(),
        logging.close(),
        errorBudget.close(),
        cloudBuild.close(),
        sqlBackups.close(),
      ]);
    },
  };
}
