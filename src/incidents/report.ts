import type { Poster } from '../platform/slack/poster.ts';
import {
  type IncidentReport,
  incidentReport,
  incidentReportJson,
  incidentReportMarkdown,
} from '../reports/incident-report.ts';
import type { TimelineEntry as RolloutNote } from '../runbooks/types.ts';
import type { Store } from '../store/index.ts';
import type { Incident } from './types.ts';

// Writing an incident's report when it is resolved: built from the incident, its timeline and the
// rollout's own actions; saved in Redis first (the evidence stays even when Slack is down), then
// uploaded into the incident thread as Markdown and JSON, once (recorded by poster.attach).

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
