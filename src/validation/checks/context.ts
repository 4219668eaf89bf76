import type { ShiftgateConfig } from '../../config/schema.ts';
import type { SecretResolver } from '../../config/secret-resolver.ts';
import type { ServiceTarget } from '../../config/target.ts';
import type { ValidationLane } from '../../config/validation.ts';
import type { CloudLogging } from '../../gates/ports/logging.ts';
import type { RouteSplitEvaluator } from '../../gates/ports/route-split.ts';
import type { GateRegistry } from '../../gates/registry.ts';
import type { CloudRun, ServiceState } from '../../runbooks/ports/cloud-run.ts';
import type { Store } from '../../store/index.ts';
import type { CheckRuns, CloudBuilds, SqlBackups, StorageObjects } from '../ports.ts';
import type { CheckResult, ReleaseSubject } from '../types.ts';

// What a check needs: the ports (Cloud Run, the gate registry, Cloud Logging, the store, secrets, CI
// results and backup artifacts), never an SDK, and the row's service in this environment with reads
// shared by the rows of one service.

export interface ValidationPorts {
  cloudRun: Pick<CloudRun, 'describe' | 'describeJob'> & Partial<Pick<CloudRun, 'describeRevision'>>;
  gates: GateRegistry;
  logging: CloudLogging;
  store: Pick<Store, 'rollouts' | 'locks'>;
  /** Resolves services' access tokens for authenticated gates; without it they are skipped. */
  secrets?: SecretResolver;
  /** The route-split control of a service environment, for route-split gates. */
  routeSplit?: (service: string, env: string) => RouteSplitEvaluator | undefined;
  /** External-ci lanes: Cloud Build builds and GitHub check runs. Without them those rows are errors. */
  cloudBuild?: CloudBuilds;
  checkRuns?: CheckRuns;
  /** Backup lanes: Cloud Storage objects and Cloud SQL backup runs. */
  storage?: StorageObjects;
  sqlBackups?: SqlBackups;
}

export interface CheckContext {
  config: ShiftgateConfig;
  env: string;
  lane: ValidationLane;
  target: ServiceTarget;
  now: () => Date;
  signal: AbortSignal;
  /** The Cloud Run service as it is now, read once per run and service. */
  describe(): Promise<ServiceState>;
  /** The service's access token, resolved once per run; undefined when none is configured. */
  accessToken(): Promise<string | undefined>;
  /** The commit or image the run was told is being released (`--sha`, `--image`). */
  subject: ReleaseSubject;
}

/** What one check found; the runner adds the row, the time and the duration. */
export type Observation = Pick<CheckResult, 'status' | 'observed' | 'expected' | 'line' | 'evidence'> & {
  reason?: string;
};

/** The window a lane reads, ending now. */
export function windowOf(ctx: CheckContext): { start: Date; end: Date } {
  const end = ctx.now();
  return { start: new Date(end.getTime() - ctx.lane.window), end };
}

/** A check that could not be measured, in the words of the gates' error lines. */
export function notMeasured(what: string, expected: string, evidence: string, reason: string): Observation {
  return {
    status: 'error',
    observed: '-',
    expected,
    line: `${what} could not be measured: ${reason}: ERROR`,
    evidence,
    reason,
  };
}

/**
 * A check that measured: a pass when nothing is wrong, else a fail naming every problem. The line shows
 * what was seen either way, beside what was expected or what is wrong.
 */
export function judged(
  label: string,
  observed: string,
  expected: string,
  evidence: string,
  problems: readonly string[],
): Observation {
  if (problems.length === 0)
    return {
      status: 'pass',
      observed,
      expected,
      line: `${label}: ${observed} (expected ${expected}): pass`,
      evidence,
    };
  const reason = problems.join('; ');
  return {
    status: 'fail',
    observed,
    expected,
    line: `${label}: ${observed} (${reason}): FAIL`,
    evidence,
    reason,
  };
}
