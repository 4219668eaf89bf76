/**
 * Every Redis key shiftgate uses, built from one prefix (default `shiftgate:`). Keys are built here
 * and only here; Lua scripts receive them as KEYS and never build one.
 *
 * State of record (no TTL: losing or expiring one would lose a decision or allow a double shift):
 *   {p}lock:{service}:{env}               HASH    holder of the deploy lock (rolloutId, author, reason,
 *                                                 since, token, kind). Released by its holder or
 *                                                 force-unlocked by an admin, never expired.
 *   {p}fence:{service}:{env}              STRING  fencing-token counter (INCR), monotonic, never reset
 *   {p}freeze:{service}:{env}             HASH    deploy freeze (author, reason, since)
 *   {p}locks                              SET     `service:env` of every held lock (for /deploy locks)
 *   {p}freezes                            SET     `service:env` of every freeze
 *   {p}rollout:{id}                       HASH    versioned rollout record, while active. A terminal
 *                                                 status gives it a retention TTL (default 90 days).
 *   {p}rollouts:active:{service}:{env}    SET     ids of active rollouts of one service/environment
 *   {p}rollouts:active                    SET     ids of all active rollouts
 *   {p}rollouts:pending                   SET     ids of rollouts whose last step's effects are not
 *                                                 settled (field _pending of the record names its version);
 *                                                 terminal ones included until their last effects ran
 *   {p}approvals:{rolloutId}:{stage}      HASH    userId -> `seq|at`: evidence, kept (no TTL)
 *   {p}gate-record:{service}              ZSET    finished rollouts of the service by end time (ms),
 *                                                 the newest 500: the gates' track record (no TTL,
 *                                                 bounded by the trim)
 *   {p}gate-record:{service}:entries      HASH    rolloutId -> JSON of what each gate said and how the
 *                                                 rollout ended; trimmed with the ZSET
 *   {p}gate-record:{service}:later        HASH    rolloutId -> JSON of the /rollback that later took a
 *                                                 promoted rollout's revision away; trimmed with the ZSET
 *   {p}audit                              STREAM  audit trail, never trimmed
 *   {p}timeline:{incidentId}              ZSET    entry ids by time (ms)
 *   {p}timeline:{incidentId}:entries      HASH    entries, edits, Slack-ts index, sequence
 *
 * Not state of record (always a TTL):
 *   {p}idem:{key}                         STRING  idempotency claim (Slack event ids, button clicks)
 *   {p}workers:{rolloutId}                HASH    replica -> ms its lease ends: who works the rollout's
 *                                                 steps now (renewed every few seconds; TTL of the lease)
 *   {p}rollback-request:{id}              STRING  JSON of a manual rollback waiting for approval; lives
 *                                                 until a day after it expires (its approvals, under
 *                                                 approvals:{id}:rollback, and the audit keep evidence)
 *   {p}report:{rolloutId}                 STRING  JSON report of a finished rollout (90 days)
 *   {p}signoff:{config}:{env}:{flag}      STRING  JSON sign-off of a flag (who, when, evidence URL): a
 *                                                 flag canary's prerequisite, expiring with it (its audit
 *                                                 line is the evidence that stays)
 *   {p}slack:{owner}                      HASH    purpose -> `channel ts` of the Slack messages the bot
 *                                                 owns for a rollout or incident (90 days)
 *   {p}incident:{id}                      STRING  JSON of an incident: channel and ts of its card, status
 *   {p}incidents:open                     HASH    `id:{incidentId}` -> channel for every open incident
 *   {p}incidents:threads                  HASH    `channel ts` of an open incident's card -> its id
 *                                                 (thread replies become notes)
 *   {p}incident-report:{id}               STRING  JSON report of a resolved incident (evidence, kept)
 *   {p}history                            ZSET    ids of finished rollouts by end time (newest 200)
 *   {p}validation:{runId}                 STRING  JSON of a /validate run: each check's result and the
 *                                                 verdict (90 days)
 *   {p}validations:{env}                  ZSET    ids of the validation runs covering an env by start time
 *                                                 (newest 50; 90 days, renewed)
 *   {p}validation-running:{env}           STRING  id of the validation run under way: one at a time per
 *                                                 environment (15 minutes, deleted when it ends)
 *
 * No hash tags: shiftgate runs on one Redis (BullMQ shares it), not Redis Cluster.
 * docs/store.md carries the same table with more detail.
 */

export const DEFAULT_PREFIX = 'shiftgate:';

// Service and environment names are validated upstream as [a-z0-9-]+; re-checked here because a ':'
// in either would make `service:env` index members and key segments ambiguous.
const NAME = /^[a-z0-9-]+$/;
// Rollout ids, incident ids and stage names: no ':' for the same reason, bounded in length.
const ID = /^[A-Za-z0-9._-]{1,128}$/;

export function assertName(kind: string, value: string): void {
  if (!NAME.test(value))
    throw new TypeError(`invalid ${kind} name ${JSON.stringify(value)}: expected [a-z0-9-]+`);
}

export function assertId(kind: string, value: string): void {
  if (!ID.test(value)) {
    throw new TypeError(`invalid ${kind} ${JSON.stringify(value)}: expected 1-128 of [A-Za-z0-9._-]`);
  }
}

/** The member that stands for one (service, environment) in the lock and freeze index sets. */
export function scopeMember(service: string, env: string): string {
  assertName('service', service);
  assertName('environment', env);
  return `${service}:${env}`;
}

export function parseScopeMember(member: string): { service: string; env: string } {
  const at = member.indexOf(':');
  return { service: member.slice(0, at), env: member.slice(at + 1) };
}

export interface Keys {
  readonly prefix: string;
  lock(service: string, env: string): string;
  fence(service: string, env: string): string;
  freeze(service: string, env: string): string;
  lockIndex(): string;
  freezeIndex(): string;
  rollout(id: string): string;
  activeRollouts(service: string, env: string): string;
  activeRolloutsAll(): string;
  /** Rollouts whose last step's effects are not settled yet (the sweep's work list). */
  pendingRollouts(): string;
  /** Replicas working a rollout's steps now, each with the time its lease ends. */
  workers(rolloutId: string): string;
  approvals(rolloutId: string, stage: string): string;
  /** The gates' track record of a service: its finished rollouts, their entries, later rollbacks. */
  gateRecord(service: string): string;
  gateRecordEntries(service: string): string;
  gateRecordLater(service: string): string;
  idempotency(key: string): string;
  audit(): string;
  timeline(incidentId: string): string;
  timelineEntries(incidentId: string): string;
  report(rolloutId: string): string;
  signoff(config: string, env: string, flag: string): string;
  rollbackRequest(id: string): string;
  routeRequest(id: string): string;
  slackMessages(owner: string): string;
  incident(id: string): string;
  openIncidents(): string;
  incidentThreads(): string;
  incidentReport(id: string): string;
  history(): string;
  validation(runId: string): string;
  validations(env: string): string;
  validationRunning(env: string): string;
}

export function createKeys(prefix: string = DEFAULT_PREFIX): Keys {
  const scoped = (kind: string, service: string, env: string) =>
    `${prefix}${kind}:${scopeMember(service, env)}`;
  const byId = (kind: string, label: string, id: string) => {
    assertId(label, id);
    return `${prefix}${kind}:${id}`;
  };
  return {
    prefix,
    lock: (service, env) => scoped('lock', service, env),
    fence: (service, env) => scoped('fence', service, env),
    freeze: (service, env) => scoped('freeze', service, env),
    lockIndex: () => `${prefix}locks`,
    freezeIndex: () => `${prefix}freezes`,
    rollout: (id) => byId('rollout', 'rollout id', id),
    activeRollouts: (service, env) => scoped('rollouts:active', service, env),
    activeRolloutsAll: () => `${prefix}rollouts:active`,
    pendingRollouts: () => `${prefix}rollouts:pending`,
    workers: (rolloutId) => `${byId('workers', 'rollout id', rolloutId)}`,
    approvals: (rolloutId, stage) => {
      assertId('stage', stage);
      return `${byId('approvals', 'rollout id', rolloutId)}:${stage}`;
    },
    gateRecord: (service) => {
      assertName('service', service);
      return `${prefix}gate-record:${service}`;
    },
    gateRecordEntries: (service) => {
      assertName('service', service);
      return `${prefix}gate-record:${service}:entries`;
    },
    gateRecordLater: (service) => {
      assertName('service', service);
      return `${prefix}gate-record:${service}:later`;
    },
    idempotency: (key) => {
      if (key.length === 0 || key.length > 512)
        throw new TypeError('idempotency key must be 1-512 characters');
      return `${prefix}idem:${key}`;
    },
    audit: () => `${prefix}audit`,
    timeline: (incidentId) => byId('timeline', 'incident id', incidentId),
    timelineEntries: (incidentId) => `${byId('timeline', 'incident id', incidentId)}:entries`,
    report: (rolloutId) => byId('report', 'rollout id', rolloutId),
    signoff: (config, env, flag) => {
      assertName('flag set', config);
      assertName('environment', env);
      assertId('flag', flag);
      return `${prefix}signoff:${config}:${env}:${flag}`;
    },
    rollbackRequest: (id) => byId('rollback-request', 'request id', id),
    routeRequest: (id) => byId('route-request', 'request id', id),
    slackMessages: (owner) => byId('slack', 'message owner', owner),
    incident: (id) => byId('incident', 'incident id', id),
    openIncidents: () => `${prefix}incidents:open`,
    incidentThreads: () => `${prefix}incidents:threads`,
    incidentReport: (id) => byId('incident-report', 'incident id', id),
    history: () => `${prefix}history`,
    validation: (runId) => byId('validation', 'validation run id', runId),
    validations: (env) => {
      assertName('environment', env);
      return `${prefix}validations:${env}`;
    },
    validationRunning: (env) => {
      assertName('environment', env);
      return `${prefix}validation-running:${env}`;
    },
  };
}
