import {
  ExecutionsClient,
  JobsClient,
  RevisionsClient,
  ServicesClient,
  TasksClient,
} from '@google-cloud/run';
import type {
  CloudRun,
  Deployment,
  DeployRequest,
  JobRef,
  JobRun,
  JobState,
  Revision,
  RunJobOptions,
  ServiceRef,
  ServiceState,
  SplitRequest,
} from '../../runbooks/ports/cloud-run.ts';
import { PlatformError } from '../../runbooks/ports/errors.ts';
import {
  DEPLOY_PERMISSIONS,
  type DeployPermissions,
  type ServiceEnvNames,
  type ServicePreconditions,
} from '../../runbooks/ports/preconditions.ts';
import { GRPC } from '../errors.ts';
import { googleClientOptions } from '../google.ts';
import { failure } from './errors.ts';
import {
  type Execution,
  envNamesOf,
  envOf,
  executionOf,
  exitCodeOf,
  imageOf,
  isoOf,
  revisionOf,
  revisionsNamed,
  type Service,
  serviceName,
  stateOf,
  type Task,
  withEnv,
} from './mapping.ts';
import { type PendingOperation, settle } from './operation.ts';
import { call } from './retry.ts';
import { type CloudRunOptions, type Settings, settingsOf } from './settings.ts';
import {
  type Expectation,
  exactTraffic,
  expectationOf,
  mismatch,
  portTargets,
  retagged,
  sameTraffic,
  servingNow,
  shortName,
  type Wanted,
  wireTargets,
} from './traffic.ts';

// The Cloud Run port over @google-cloud/run v2. Every traffic change is a read-modify-write carrying the
// etag (retried when someone else updated in between), waits for the operation, then reads the service
// back and checks the split Cloud Run reports.

const TAG = /^[a-z]([-a-z0-9]{0,44}[a-z0-9])?$/;
const SUFFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const serviceSubject = (r: ServiceRef) =>
  `Cloud Run service '${r.service}' (project ${r.project}, region ${r.region})`;
const revisionSubject = (r: ServiceRef, revision: string) =>
  `revision '${revision}' of Cloud Run service '${r.service}'`;
const jobSubject = (r: JobRef) => `Cloud Run job '${r.job}' (project ${r.project}, region ${r.region})`;
const jobName = (r: JobRef) => `projects/${r.project}/locations/${r.region}/jobs/${r.job}`;

/** A smoke test is short: the default wait for a job's execution. */
const RUN_TIMEOUT_MS = 3 * 60_000;

/** The run's operation: its metadata is the Execution, named from the first answer on. */
type RunOperation = PendingOperation & { metadata?: Execution | null };

interface Plan {
  /** False when the service already is as asked: nothing to write, only the check. */
  write: boolean;
  expect: Expectation;
}

/** `<service>-<NNNNN>-<abc>`, numbered after the service's generation as Cloud Run numbers its own. */
function generatedRevision(service: string, generation: unknown): string {
  const letters = Array.from({ length: 3 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26)));
  return `${service}-${String(Number(generation ?? 0) + 1).padStart(5, '0')}-${letters.join('')}`;
}

/** A stale etag (ABORTED, or FAILED_PRECONDITION naming the etag): read again and retry. */
function isEtagConflict(error: unknown): boolean {
  if (!(error instanceof PlatformError) || error.kind !== 'conflict') return false;
  const code = (error.cause as { code?: unknown })?.code;
  return code === GRPC.ABORTED || (code === GRPC.FAILED_PRECONDITION && /etag/i.test(error.message));
}

export class CloudRunAdapter implements CloudRun, ServicePreconditions {
  private readonly settings: Settings;
  private readonly services: ServicesClient;
  private readonly revisions: RevisionsClient;
  private readonly jobs: JobsClient;
  private readonly executions: ExecutionsClient;
  private readonly tasks: TasksClient;

  constructor(options: CloudRunOptions) {
    this.settings = settingsOf(options);
    const clientOptions = googleClientOptions(options.google);
    this.services = new ServicesClient(clientOptions);
    this.revisions = new RevisionsClient(clientOptions);
    this.jobs = new JobsClient(clientOptions);
    this.executions = new ExecutionsClient(clientOptions);
    this.tasks = new TasksClient(clientOptions);
  }

  /** Our retry and deadline instead of the library's (its GetService retry waits seconds between tries). */
  private get callOptions() {
    return { retry: null, timeout: this.settings.callTimeoutMs };
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.services, this.revisions, this.jobs, this.executions, this.tasks].map((c) => c.close()),
    );
  }

  async describe(ref: ServiceRef): Promise<ServiceState> {
    return this.state(ref, await this.read(ref));
  }

  async serviceExists(ref: ServiceRef): Promise<boolean> {
    try {
      await this.read(ref);
      return true;
    } catch (error) {
      if (error instanceof PlatformError && error.kind === 'not-found') return false;
      throw error;
    }
  }

  async mayDeploy(ref: ServiceRef, permissions = DEPLOY_PERMISSIONS): Promise<DeployPermissions> {
    const checked = [...permissions];
    const [answer] = await call(this.settings, `permissions on ${serviceSubject(ref)}`, () =>
      this.services.testIamPermissions(
        { resource: serviceName(ref), permissions: checked },
        this.callOptions,
      ),
    );
    // Cloud Run answers the subset the caller holds (none: an empty answer, the field left out).
    const granted = new Set(answer.permissions ?? []);
    const missing = checked.filter((p) => !granted.has(p));
    return { allowed: missing.length === 0, missing, checked };
  }

  async serviceEnv(ref: ServiceRef): Promise<ServiceEnvNames> {
    const { template } = await this.read(ref);
    const account = template?.serviceAccount;
    return { ...envNamesOf(template?.containers), ...(account ? { serviceAccount: account } : {}) };
  }

  async deployNoTraffic(ref: ServiceRef, request: DeployRequest): Promise<Deployment> {
    const subject = serviceSubject(ref);
    const tag = request.tag ?? 'canary';
    if (!request.image) throw failure('invalid', `${subject}: no image to deploy`);
    if (!TAG.test(tag)) throw failure('invalid', `${subject}: '${tag}' is not a valid traffic tag`);
    const suffix = request.revisionSuffix;
    if (suffix !== undefined && (!SUFFIX.test(suffix) || ref.service.length + 1 + suffix.length > 63)) {
      throw failure('invalid', `${subject}: '${suffix}' is not a valid revision suffix`);
    }
    let revision = '';
    const after = await this.change(ref, (current) => {
      revision = suffix ? `${ref.service}-${suffix}` : generatedRevision(ref.service, current.generation);
      const template = current.template ?? {};
      const env = request.env ?? {};
      const templateEnv = envOf(template.containers);
      if (
        template.revision === revision &&
        imageOf(template.containers) === request.image &&
        Object.entries(env).every(([name, value]) => templateEnv[name] === value)
      ) {
        return { write: false, expect: { tags: { [tag]: revision } } }; // a repeated call: already deployed
      }
      const traffic = wireTargets(current.traffic);
      const serving = servingNow(traffic, shortName(current.latestReadyRevision));
      if (typeof serving === 'string') {
        throw failure('invalid', `${subject}: cannot keep the current traffic: ${serving}`);
      }
      // gcloud run deploy --no-traffic: what serves now keeps serving, pinned by name; the new revision
      // is named by us so the same update can tag it at 0 %.
      const wanted: Wanted[] = [...serving, { revision, percent: 0, tag }];
      const containers = template.containers?.length ? template.containers : [{}];
      const first = containers[0] as { image?: string; env?: unknown };
      first.image = request.image;
      if (request.env) first.env = withEnv(template.containers?.[0]?.env, request.env);
      current.template = { ...template, revision, containers };
      current.traffic = exactTraffic(traffic, wanted);
      return { write: true, expect: expectationOf(wanted) };
    });
    const state = await this.state(ref, after);
    const tagUrl = state.trafficStatuses.find((t) => t.tag === tag)?.url;
    return { revision, ...(tagUrl ? { tagUrl } : {}), state };
  }

  async setSplit(ref: ServiceRef, request: SplitRequest): Promise<ServiceState> {
    const subject = serviceSubject(ref);
    const { stable, canary, canaryPercent } = request;
    const tag = request.tag ?? 'canary';
    if (!Number.isInteger(canaryPercent) || canaryPercent < 0 || canaryPercent > 100) {
      throw failure(
        'invalid',
        `${subject}: canary percent must be a whole number from 0 to 100, got ${canaryPercent}`,
      );
    }
    if (stable === canary)
      throw failure('invalid', `${subject}: stable and canary are the same revision '${stable}'`);
    if (!TAG.test(tag)) throw failure('invalid', `${subject}: '${tag}' is not a valid traffic tag`);
    return this.retarget(ref, [
      { revision: stable, percent: 100 - canaryPercent },
      { revision: canary, percent: canaryPercent, tag },
    ]);
  }

  /** Tags on other revisions stay at 0 %, so a failed canary's tag URL can still be inspected. */
  rollbackTo(ref: ServiceRef, revision: string): Promise<ServiceState> {
    return this.retarget(ref, [{ revision, percent: 100 }]);
  }

  setTraffic(ref: ServiceRef, split: Record<string, number>): Promise<ServiceState> {
    const entries = Object.entries(split).filter(([, percent]) => percent > 0);
    const total = entries.reduce((sum, [, percent]) => sum + percent, 0);
    if (total !== 100 || entries.some(([, p]) => !Number.isInteger(p))) {
      throw failure(
        'invalid',
        `${serviceSubject(ref)}: a split must be whole percents summing to 100, got ${total}`,
      );
    }
    return this.retarget(
      ref,
      entries.map(([revision, percent]) => ({ revision, percent })),
    );
  }

  async setTag(ref: ServiceRef, tag: string, revision?: string): Promise<ServiceState> {
    const subject = serviceSubject(ref);
    if (!TAG.test(tag)) throw failure('invalid', `${subject}: '${tag}' is not a valid traffic tag`);
    const first = await this.read(ref); // the service first, so a missing service is named as such
    const images: Record<string, string> = {};
    // A revision that is gone is named as such (not-found), before anything is written.
    if (revision !== undefined) images[revision] = await this.imageOfRevision(ref, revision);
    const expect: Expectation = { tags: { [tag]: revision ?? '' } };
    const after = await this.change(
      ref,
      (current) => {
        const traffic = wireTargets(current.traffic);
        const next = retagged(traffic, tag, revision);
        if (sameTraffic(traffic, next)) return { write: false, expect };
        current.traffic = next;
        return { write: true, expect };
      },
      first,
    );
    return this.state(ref, after, images);
  }

  async listRevisions(ref: ServiceRef): Promise<Revision[]> {
    const [revisions] = await call(this.settings, `revisions of ${serviceSubject(ref)}`, () =>
      this.revisions.listRevisions({ parent: serviceName(ref) }, this.callOptions),
    );
    return revisions.map(revisionOf).sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  }

  async describeRevision(ref: ServiceRef, revision: string): Promise<Revision> {
    const [found] = await call(this.settings, revisionSubject(ref, revision), () =>
      this.revisions.getRevision({ name: `${serviceName(ref)}/revisions/${revision}` }, this.callOptions),
    );
    return revisionOf(found);
  }

  async describeJob(ref: JobRef): Promise<JobState> {
    const subject = jobSubject(ref);
    const name = jobName(ref);
    const [job] = await call(this.settings, subject, () => this.jobs.getJob({ name }, this.callOptions));
    const [listed] = await call(this.settings, `executions of ${subject}`, () =>
      this.executions.listExecutions({ parent: name }, this.callOptions),
    );
    const executions = [...listed]
      .sort((a, b) => (isoOf(b.createTime) ?? '').localeCompare(isoOf(a.createTime) ?? ''))
      .map(executionOf);
    const latest = executions[0];
    const latestSucceeded = executions.find((e) => e.succeeded);
    return {
      ref,
      image: imageOf(job.template?.template?.containers),
      ...(latest ? { latestExecution: latest } : {}),
      ...(latestSucceeded ? { latestSucceededExecution: latestSucceeded } : {}),
    };
  }

  async runJob(ref: JobRef, options: RunJobOptions = {}): Promise<JobRun> {
    const subject = jobSubject(ref);
    const timeoutMs = options.timeoutMs ?? RUN_TIMEOUT_MS;
    if (!(timeoutMs > 0))
      throw failure('invalid', `${subject}: timeoutMs must be positive, got ${timeoutMs}`);
    const what = `run of ${subject}`;
    const started = this.settings.now();
    const [answer] = await call(this.settings, what, () =>
      this.jobs.runJob({ name: jobName(ref) }, this.callOptions),
    );
    const operation = answer as unknown as RunOperation;
    let execution: Execution;
    try {
      execution = (await settle(
        { ...this.settings, operationTimeoutMs: timeoutMs },
        what,
        operation,
      )) as Execution;
    } catch (error) {
      const name = operation.metadata?.name;
      if (!(error instanceof PlatformError)) throw error;
      if (error.kind === 'timeout' && this.settings.now() - started >= timeoutMs) {
        const which = name ? `execution '${shortName(name)}'` : `operation ${operation.name}`;
        throw failure(
          'timeout',
          `${subject}: ${which} not finished after ${timeoutMs} ms; it keeps running in Cloud Run`,
          error,
        );
      }
      // A failed execution ends its operation with an error: a result for us, read from the execution.
      // Without one (the run failed before an execution existed), it is the operation's failure.
      if (error.kind !== 'operation-failed' || !name) throw error;
      [execution] = await call(this.settings, `execution '${shortName(name)}' of ${subject}`, () =>
        this.executions.getExecution({ name }, this.callOptions),
      );
      return this.runOf(subject, execution, error.message);
    }
    return this.runOf(subject, execution);
  }

  /** The port's JobRun: the execution's end, and the exit code of its first task. */
  private async runOf(subject: string, execution: Execution, operationError?: string): Promise<JobRun> {
    const name = execution.name ?? '';
    const ended = executionOf(execution);
    const task = await this.firstTask(`tasks of execution '${shortName(name)}' of ${subject}`, name);
    const message =
      ended.message ||
      (ended.succeeded ? '' : task?.lastAttemptResult?.status?.message || operationError || '');
    return {
      execution: ended.name,
      status: ended.status,
      succeeded: ended.succeeded,
      exitCode: exitCodeOf(task),
      ...(message ? { message } : {}),
      ...(ended.completedAt ? { completedAt: ended.completedAt } : {}),
    };
  }

  private async firstTask(subject: string, execution: string): Promise<Task | undefined> {
    const [tasks] = await call(this.settings, subject, () =>
      this.tasks.listTasks({ parent: execution }, this.callOptions),
    );
    return tasks.find((t) => Number(t.index ?? 0) === 0) ?? tasks[0];
  }

  private async read(ref: ServiceRef): Promise<Service> {
    const [service] = await call(this.settings, serviceSubject(ref), () =>
      this.services.getService({ name: serviceName(ref) }, this.callOptions),
    );
    return service;
  }

  private async imageOfRevision(ref: ServiceRef, revision: string): Promise<string> {
    const [found] = await call(this.settings, revisionSubject(ref, revision), () =>
      this.revisions.getRevision({ name: `${serviceName(ref)}/revisions/${revision}` }, this.callOptions),
    );
    return imageOf(found.containers);
  }

  /** The port's state, with the image of every revision it names (a deleted one is left out). */
  private async state(
    ref: ServiceRef,
    service: Service,
    known: Record<string, string> = {},
  ): Promise<ServiceState> {
    const images = { ...known };
    const missing = revisionsNamed(service).filter((name) => !(name in images));
    await Promise.all(
      missing.map(async (name) => {
        try {
          images[name] = await this.imageOfRevision(ref, name);
        } catch (error) {
          if (!(error instanceof PlatformError && error.kind === 'not-found')) throw error;
        }
      }),
    );
    return stateOf(ref, service, images);
  }

  /** Exactly this split (a reconcile: asking for what is already set writes nothing). */
  private async retarget(ref: ServiceRef, wanted: Wanted[]): Promise<ServiceState> {
    const first = await this.read(ref); // the service first, so a missing service is named as such
    const images: Record<string, string> = {};
    for (const { revision } of wanted) images[revision] = await this.imageOfRevision(ref, revision);
    const expect = expectationOf(wanted);
    const after = await this.change(
      ref,
      (current) => {
        const traffic = wireTargets(current.traffic);
        const next = exactTraffic(traffic, wanted);
        if (sameTraffic(traffic, next)) return { write: false, expect };
        current.traffic = next;
        return { write: true, expect };
      },
      first,
    );
    return this.state(ref, after, images);
  }

  /** Read, modify, write with the etag, wait, read back and check; again on a stale etag. */
  private async change(ref: ServiceRef, plan: (current: Service) => Plan, first?: Service): Promise<Service> {
    const subject = serviceSubject(ref);
    for (let attempt = 1; ; attempt++) {
      const current = attempt === 1 && first ? first : await this.read(ref);
      const { write, expect } = plan(current);
      // Already asked for, maybe by a replica that died before its update finished: Cloud Run carries it
      // out by itself; wait for that rather than judge statuses that have not caught up yet.
      if (!write) return this.check(subject, expect, await this.reconciled(ref, current));
      try {
        const [operation] = await call(this.settings, `update of ${subject}`, () =>
          this.services.updateService({ service: current }, this.callOptions),
        );
        await settle(this.settings, `update of ${subject}`, operation as unknown as PendingOperation);
      } catch (error) {
        if (!isEtagConflict(error)) throw error;
        if (attempt < this.settings.conflictAttempts) continue;
        throw failure(
          'conflict',
          `${subject}: the etag changed under each of ${attempt} read-modify-write attempts; someone else keeps updating the service (${(error as Error).message})`,
          error,
        );
      }
      return this.check(subject, expect, await this.read(ref));
    }
  }

  /** The service once Cloud Run has finished reconciling it (an update under way), bounded like an operation. */
  private async reconciled(ref: ServiceRef, service: Service): Promise<Service> {
    const deadline = this.settings.now() + this.settings.operationTimeoutMs;
    let current = service;
    let wait = this.settings.pollMs;
    while (current.reconciling) {
      const left = deadline - this.settings.now();
      if (left <= 0) {
        throw failure(
          'timeout',
          `${serviceSubject(ref)}: still reconciling an earlier update after ${this.settings.operationTimeoutMs} ms`,
        );
      }
      await this.settings.sleep(Math.min(wait, left));
      wait = Math.min(wait * 1.5, this.settings.maxPollMs);
      current = await this.read(ref);
    }
    return current;
  }

  private check(subject: string, expect: Expectation, service: Service): Service {
    const reported = portTargets(service.trafficStatuses, shortName(service.latestReadyRevision));
    const wrong = mismatch(expect, reported);
    if (wrong)
      throw failure('verify-failed', `${subject}: traffic is not as asked after the change: ${wrong}`);
    return service;
  }
}
