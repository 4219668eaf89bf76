import type { ShiftgateConfig } from '../config/schema.ts';
import type { AttachedFile, Poster } from '../platform/slack/poster.ts';
import { keepReport } from '../platform/slack/report-keep.ts';
import {
  type IncidentReport,
  incidentReport,
  incidentReportJson,
  incidentReportMarkdown,
} from '../reports/incident-report.ts';
import type { ReportSink } from '../runbooks/ports/report-sink.ts';
import type { TimelineEntry as RolloutNote } from '../runbooks/types.ts';
import type { Store } from '../store/index.ts';
import type { Incident } from './types.ts';

// Writing an incident's report when it is resolved: built from the incident, its timeline and the
// rollout's own actions; saved in Redis first (the evidence stays even when Slack is down), kept in the
// environment's report sinks (`<incident-id>/incident-report.md` and `.json`, as a rollout's are under its
// run id; the thread links them), then uploaded into the incident thread as Markdown and JSON, once
// (recorded by poster.attach).

/** The report's files in a sink: the folder is the incident id, which says the service, env and time. */
export const INCIDENT_REPORT_MD = 'incident-report.md';
export const INCIDENT_REPORT_JSON = 'incident-report.json';

export interface PublishDeps {
  poster: Poster;
  config: ShiftgateConfig;
  /** Where an environment keeps reports beyond Redis; undefined: Redis and Slack only. */
  sinks?: ((env: string) => Promise<ReportSink | undefined>) | undefined;
  log?: { error(message: string, fields?: object): void };
}

export interface WrittenReport {
  report: IncidentReport;
  /** The Redis key that holds it. */
  key: string;
  /** Why the files could not be posted into the thread (the report is saved all the same). */
  uploadError?: string;
}

export async function saveIncidentReport(
  store: Store,
  incident: Incident,
  rolloutActions: readonly RolloutNote[] | undefined,
  now: () => Date,
): Promise<IncidentReport> {
  const report = incidentReport({
    incident,
    notes: await store.timelines.list(incident.id),
    ...(rolloutActions ? { rolloutActions } : {}),
    now: now().toISOString(),
  });
  await store.redis.set(store.keys.incidentReport(incident.id), incidentReportJson(report));
  return report;
}

/** The files of a report in a sink. */
export function incidentReportFiles(report: IncidentReport): AttachedFile[] {
  return [
    { filename: INCIDENT_REPORT_MD, content: incidentReportMarkdown(report) },
    { filename: INCIDENT_REPORT_JSON, content: incidentReportJson(report) },
  ];
}

/**
 * Keeps the report in the environment's sinks, then uploads it into the thread. Undefined once the files
 * are in the thread, else why not. The durable copy goes first, as a rollout's does: a replica that dies
 * between the two leaves the report in the sinks and in Redis, and resolving again (the Resolve button of a
 * card that never got the report) finishes the upload and writes the sinks again, harmlessly.
 */
export async function publishIncidentReport(
  deps: PublishDeps,
  incident: Incident,
  report: IncidentReport,
): Promise<string | undefined> {
  if (!incident.ts) return 'the incident has no Slack thread';
  const thread = { channel: incident.channel, threadTs: incident.ts };
  await keepReport(
    { poster: deps.poster, config: deps.config, sinks: deps.sinks, ...(deps.log ? { log: deps.log } : {}) },
    {
      id: incident.id,
      envs: [incident.env],
      files: incidentReportFiles(report),
      thread,
      at: report.resolved?.at ?? report.opened.at,
    },
  );
  return uploadIncidentReport(deps.poster, incident, report);
}

/** Undefined once the files are in the thread, else why not. */
export async function uploadIncidentReport(
  poster: Poster,
  incident: Incident,
  report: IncidentReport,
): Promise<string | undefined> {
  if (!incident.ts) return 'the incident has no Slack thread';
  const notes = report.timeline.filter((e) => e.source === 'human').length;
  try {
    await poster.attach(
      incident.id,
      'report',
      { channel: incident.channel, threadTs: incident.ts },
      {
        comment: `Incident report: ${report.timeline.length} timeline entries, ${notes} from people, ${report.followUps.length} open follow-ups.`,
        files: [
          {
            filename: `${incident.id}.md`,
            title: 'Incident report (Markdown)',
            content: incidentReportMarkdown(report),
          },
          {
            filename: `${incident.id}.json`,
            title: 'Incident report (JSON)',
            content: incidentReportJson(report),
          },
        ],
      },
    );
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
