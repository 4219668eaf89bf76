import type { Poster } from '../platform/slack/poster.ts';
import {
  type IncidentReport,
  incidentReport,
  incidentReportJson,
  incidentReportMarkdown,
} from '../reports/incident-report.ts';
import type { TimelineEntry as RolloutNote } from '../runbooks/types.ts';
import type { Store } from '../store/index.ts';
import type { Incident } from './incidents.ts';

// Writing an incident's report when it is resolved: built from the incident, its timeline and the
// rollout's own actions; saved in Redis first (the evidence stays even when Slack is down), then
// uploaded into the incident thread as Markdown and JSON, once (a repeated resolve uploads nothing new).

export interface WrittenReport {
  report: IncidentReport;
  /** Why the files could not be posted into the thread (the report is saved all the same). */
  uploadError?: string;
}

export async function writeIncidentReport(
  deps: { store: Store; poster: Poster; now: () => Date },
  incident: Incident,
  rolloutActions?: readonly RolloutNote[],
): Promise<WrittenReport> {
  const { store, poster } = deps;
  const report = incidentReport({
    incident,
    notes: await store.timelines.list(incident.id),
    ...(rolloutActions ? { rolloutActions } : {}),
    now: deps.now().toISOString(),
  });
  const json = incidentReportJson(report);
  await store.redis.set(store.keys.incidentReport(incident.id), json);
  if (!incident.ts) return { report, uploadError: 'the incident has no Slack thread' };
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
          { filename: `${incident.id}.json`, title: 'Incident report (JSON)', content: json },
        ],
      },
    );
    return { report };
  } catch (error) {
    return { report, uploadError: (error as Error).message };
  }
}

/** The report saved for an incident, if it was resolved. */
export async function savedIncidentReport(
  store: Store,
  incidentId: string,
): Promise<IncidentReport | undefined> {
  const text = await store.redis.get(store.keys.incidentReport(incidentId));
  return text === null ? undefined : (JSON.parse(text) as IncidentReport);
}
