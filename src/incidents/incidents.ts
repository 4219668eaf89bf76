import type { Redis } from 'ioredis';
import { incidentCard } from '../blocks/index.ts';
import { code, md, message, section } from '../blocks/message.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { serviceTarget } from '../config/target.ts';
import type { Poster } from '../platform/slack/poster.ts';
import type { IncidentReport } from '../reports/incident-report.ts';
import type { IncidentInput } from '../runbooks/effects.ts';
import { incidentId, recordIncident } from '../runbooks/effects.ts';
import type { ReportSink } from '../runbooks/ports/report-sink.ts';
import type { RunbookState } from '../runbooks/types.ts';
import type { Store } from '../store/index.ts';
import { timedId } from '../store/time.ts';
import { publishIncidentReport, saveIncidentReport, type WrittenReport } from './report.ts';
import type { Incident } from './types.ts';

// Incidents: opened by every rollback (the engine's IncidentPort) and by `/incident open`. Each has a
// card, posted in the service's channel, whose thread is the incident's; its timeline (store.timelines)
// collects bot actions and people's notes; `/incident close` or the Resolve button resolves it.

export type IncidentResult =
  | {
      ok: true;
      incident: Incident;
      report: WrittenReport;
      /** Resolved before: only its report was published now (the first try died before the upload). */
      republished?: true;
    }
  | { ok: false; message: string };

export interface Incidents {
  /** The engine's IncidentPort: a rollback opened it. */
  fromRollback(input: IncidentInput): Promise<void>;
  open(input: { service: string; env: string; symptom: string; by: string; at?: string }): Promise<Incident>;
  get(id: string): Promise<Incident | undefined>;
  /** The newest incident open in a channel. */
  openIn(channel: string): Promise<Incident | undefined>;
  listOpen(): Promise<Incident[]>;
  /** The open incident whose card starts the thread `threadTs` in `channel`. */
  ofThread(channel: string, threadTs: string): Promise<Incident | undefined>;
  /** False when a note with this Slack ts was taken already (an Events API retry, a second :memo:). */
  note(incident: Incident, input: { by: string; text: string; at?: string; ts?: string }): Promise<boolean>;
  /** A note's new text (a `message_changed`); false when no note has that Slack ts. */
  edit(incident: Incident, ts: string, text: string, editedAt: string): Promise<boolean>;
  /** Removes the note with that Slack ts (a `message_deleted`). */
  unnote(incident: Incident, ts: string): Promise<boolean>;
  resolve(id: string, input: { by: string; summary?: string }): Promise<IncidentResult>;
  /** The override its rollback set was lifted: the card's Route field says so, Restore route goes. */
  routeLifted(id: string, lifted: { by: string; at: string }): Promise<void>;
}

/** Long enough for one resolution to finish; a replica that dies meanwhile frees it for a retry. */
const RESOLVE_CLAIM_MS = 5 * 60_000;

function notMember() {
  const text = md`:warning: I am not a member of this channel, so Slack does not send me its messages: replies in this thread will not become notes. Invite me with ${code('/invite @shiftgate')}; until then, ${code('/incident note <text>')} adds notes.`;
  return message(md`shiftgate cannot read this channel: invite it to capture incident notes`, [
    section(text),
  ]);
}

const alreadyResolved = (incident: Incident) =>
  `this incident was already resolved by <@${incident.resolvedBy}> at ${incident.resolvedAt}`;

export function createIncidents(deps: {
  store: Store;
  redis: Redis;
  config: ShiftgateConfig;
  poster: Poster;
  now?: () => Date;
  /** Where an environment keeps reports beyond Redis; the report goes there too. */
  sinks?: ((env: string) => Promise<ReportSink | undefined>) | undefined;
  log?: { error(message: string, fields?: object): void };
}): Incidents {
  const { store, redis, poster } = deps;
  const now = deps.now ?? (() => new Date());
  const publishDeps = {
    poster,
    config: deps.config,
    sinks: deps.sinks,
    ...(deps.log ? { log: deps.log } : {}),
  };

  const save = (incident: Incident) => redis.set(store.keys.incident(incident.id), JSON.stringify(incident));
  const read = async (id: string) => {
    const text = await redis.get(store.keys.incident(id));
    return text === null ? undefined : (JSON.parse(text) as Incident);
  };
  const card = (incident: Incident) =>
    incidentCard({
      incidentId: incident.id,
      service: incident.service,
      env: incident.env,
      symptom: incident.symptom,
      revisions: incident.revisions ?? { to: '(unchanged)' },
      status: incident.status,
      at: incident.openedAt,
      ...(incident.failedStage ? { failedStage: incident.failedStage } : {}),
      ...(incident.rolledBackBy ? { rolledBackBy: incident.rolledBackBy } : {}),
      openedBy: incident.openedBy,
      ...(incident.trafficBefore ? { trafficBefore: incident.trafficBefore } : {}),
      ...(incident.trafficAfter ? { trafficAfter: incident.trafficAfter } : {}),
      ...(incident.routeOverride ? { routeOverride: incident.routeOverride } : {}),
      ...(incident.routeLifted ? { routeLifted: incident.routeLifted } : {}),
      ...(incident.resolvedBy ? { resolvedBy: incident.resolvedBy } : {}),
    });

  async function publish(incident: Incident): Promise<Incident> {
    // Saved first: a retried open (a redriven step) finds it and posts no second card.
    await save(incident);
    const ref = await poster.upsert(incident.id, 'card', { channel: incident.channel }, card(incident));
    const posted = { ...incident, channel: ref.channel, ts: ref.ts };
    await save(posted);
    await index(posted);
    // Slack delivers a channel's messages (the thread replies that become notes) only to members.
    if (!(await poster.join(ref.channel))) {
      await poster.upsert(
        incident.id,
        'not-a-member',
        { channel: ref.channel, threadTs: ref.ts },
        notMember(),
      );
    }
    return posted;
  }

  /** The open-incident indexes: by id (App Home, the channel's open incidents) and by thread (notes). */
  async function index(incident: Incident): Promise<void> {
    await redis
      .multi()
      .hset(store.keys.openIncidents(), `id:${incident.id}`, incident.channel)
      .hset(store.keys.incidentThreads(), `${incident.channel} ${incident.ts}`, incident.id)
      .exec();
  }

  async function listOpen(): Promise<Incident[]> {
    const hash = await redis.hgetall(store.keys.openIncidents());
    const ids = Object.keys(hash)
      .filter((k) => k.startsWith('id:'))
      .map((k) => k.slice(3));
    const all = await Promise.all(ids.map(read));
    return all
      .filter((i): i is Incident => i?.status === 'open')
      .sort((a, b) => Date.parse(b.openedAt) - Date.parse(a.openedAt));
  }

  /**
   * A resolved incident whose report never reached its thread (the replica resolving it died after saving
   * the resolution, or Slack refused the upload): its report, kept in Redis, is published now. Under the
   * resolution's claim, so it never runs beside a resolution still under way. Undefined: nothing to do.
   */
  async function finishPublishing(incident: Incident): Promise<IncidentResult | undefined> {
    if (!incident.ts || (await poster.ref(incident.id, 'report'))) return undefined;
    const key = store.keys.incidentReport(incident.id);
    const text = await redis.get(key);
    if (text === null) return undefined;
    const claim = `incident.resolve.${incident.id}`;
    if (!(await store.idempotency.claim(claim, RESOLVE_CLAIM_MS))) return undefined;
    try {
      const report = JSON.parse(text) as IncidentReport;
      const uploadError = await publishIncidentReport(publishDeps, incident, report);
      if (uploadError) await store.idempotency.release(claim);
      await poster.update(incident.id, 'card', card(incident));
      return {
        ok: true,
        incident,
        report: { report, key, ...(uploadError ? { uploadError } : {}) },
        republished: true,
      };
    } catch (error) {
      await store.idempotency.release(claim);
      throw error;
    }
  }

  function channelOf(service: string, env: string): string {
    const target = serviceTarget(deps.config, service, env);
    if (!target) throw new Error(`no service "${service}" in environment "${env}" in the config`);
    return target.slackChannel;
  }

  return {
    async fromRollback(input) {
      const id = incidentId(input.rolloutId);
      const existing = await read(id);
      // Posted already (a redriven step): only the indexes are written again, in case a crash cut them.
      if (existing?.ts) {
        if (existing.status === 'open') await index(existing);
        return;
      }
      await recordIncident(store)(input);
      await publish({
        id,
        service: input.service,
        env: input.env,
        symptom: input.symptom,
        openedBy: 'shiftgate',
        openedAt: input.at,
        channel: channelOf(input.service, input.env),
        rolloutId: input.rolloutId,
        revisions: input.revisions,
        status: 'open',
        ...(input.failedStage ? { failedStage: input.failedStage } : {}),
        ...(input.trafficBefore ? { trafficBefore: input.trafficBefore } : {}),
        ...(input.trafficAfter ? { trafficAfter: input.trafficAfter } : {}),
        ...(input.routeOverride ? { routeOverride: input.routeOverride } : {}),
        ...(input.by && input.by !== 'shiftgate' ? { rolledBackBy: input.by } : {}),
      });
    },

    async open({ service, env, symptom, by, at }) {
      const when = at ?? now().toISOString();
      const id = timedId(`incident-${service}-${env}`, when);
      await store.timelines.add(id, {
        at: when,
        author: by,
        source: 'bot',
        ts: 'shiftgate-open-incident',
        text: `Incident opened by <@${by}>: ${symptom}`,
      });
      return publish({
        id,
        service,
        env,
        symptom,
        openedBy: by,
        openedAt: when,
        channel: channelOf(service, env),
        status: 'open',
      });
    },

    get: read,

    // The newest open in the channel: closing it leaves the older ones reachable.
    openIn: async (channel) => (await listOpen()).find((i) => i.channel === channel),
    listOpen,

    async ofThread(channel, threadTs) {
      const id = await redis.hget(store.keys.incidentThreads(), `${channel} ${threadTs}`);
      const incident = id === null ? undefined : await read(id);
      return incident?.status === 'open' ? incident : undefined;
    },

    async note(incident, { by, text, at, ts }) {
      const { added } = await store.timelines.add(incident.id, {
        at: at ?? now().toISOString(),
        author: by,
        source: 'human',
        text,
        ...(ts ? { ts } : {}),
      });
      return added;
    },

    edit: (incident, ts, text, editedAt) => store.timelines.edit(incident.id, ts, text, editedAt),
    unnote: (incident, ts) => store.timelines.remove(incident.id, ts),

    async routeLifted(id, lifted) {
      const incident = await read(id);
      if (!incident?.routeOverride || incident.routeLifted) return;
      const updated = { ...incident, routeLifted: lifted };
      await save(updated);
      await poster.update(id, 'card', card(updated));
    },

    async resolve(id, { by, summary }) {
      const incident = await read(id);
      if (!incident) return { ok: false, message: `no incident ${id}` };
      if (incident.status === 'resolved') {
        return (await finishPublishing(incident)) ?? { ok: false, message: alreadyResolved(incident) };
      }
      // One resolution, however many clicks and replicas: the first claim writes the report.
      const claim = `incident.resolve.${id}`;
      if (!(await store.idempotency.claim(claim, RESOLVE_CLAIM_MS))) {
        const now = await read(id);
        return {
          ok: false,
          message:
            now?.status === 'resolved'
              ? alreadyResolved(now)
              : 'this incident is being resolved by someone else right now; its report will be in the thread',
        };
      }
      try {
        const resolved: Incident = {
          ...incident,
          status: 'resolved',
          resolvedBy: by,
          resolvedAt: now().toISOString(),
          ...(summary ? { summary } : {}),
        };
        await store.timelines.add(id, {
          at: resolved.resolvedAt as string,
          author: by,
          source: 'bot',
          ts: 'shiftgate-resolved',
          text: `Resolved by <@${by}>${summary ? `: ${summary}` : ''}`,
        });
        // The report before the status: a failure here leaves the incident open, to be resolved again.
        const rollout = incident.rolloutId ? await store.rollouts.get(incident.rolloutId) : undefined;
        const report = await saveIncidentReport(
          store,
          resolved,
          (rollout?.data as { state?: RunbookState } | undefined)?.state?.timeline,
          now,
        );
        await save(resolved);
        await redis
          .multi()
          .hdel(store.keys.openIncidents(), `id:${id}`)
          .hdel(store.keys.incidentThreads(), `${incident.channel} ${incident.ts}`)
          .exec();
        // Sinks first, then the thread (report.ts): a death between them is finished by resolving again.
        const uploadError = await publishIncidentReport(publishDeps, resolved, report);
        await poster.update(id, 'card', card(resolved));
        return {
          ok: true,
          incident: resolved,
          report: {
            report,
            key: store.keys.incidentReport(id),
            ...(uploadError ? { uploadError } : {}),
          },
        };
      } catch (error) {
        await store.idempotency.release(claim);
        throw error;
      }
    },
  };
}
