import { differenceInMinutes } from 'date-fns';
import type { Incident, TimelineEntry } from '../incidents/types.ts';
import { formatSplit } from '../runbooks/traffic.ts';
import type { TimelineEntry as RolloutNote, Split } from '../runbooks/types.ts';
import { text } from './markdown.ts';

// The incident report (seed 000, rollback step 5): what failed and where, the revisions and the traffic
// before and after, the timeline of bot actions and people's notes in time order, who acted, and the
// follow-ups still open. Pure: the same incident, notes and rollout actions give the same report, as JSON
// (for machines) and Markdown (for the postmortem).

export interface IncidentReport {
  incidentId: string;
  service: string;
  env: string;
  status: Incident['status'];
  symptom: string;
  failedStage: string | null;
  rolloutId: string | null;
  revisions: { from: string | null; to: string | null };
  traffic: { before: Split | null; after: Split | null };
  routeOverride: string | null;
  opened: { at: string; by: string };
  resolved: { at: string; by: string; summary: string | null } | null;
  /** Minutes from open to resolve (or to the report's time while open). */
  durationMinutes: number;
  timeline: ReportEntry[];
  /** Everyone who acted: opened, rolled back, noted, resolved. */
  people: string[];
  /** Notes that start with "follow-up:", "todo:" or "action:" (see FOLLOW_UP). */
  followUps: { text: string; by: string; at: string }[];
}

export interface ReportEntry {
  at: string;
  source: 'bot' | 'human';
  author: string;
  text: string;
  editedAt?: string;
}

/** A note that names something still to do: "follow-up: add an alert on 5xx", "TODO: ...". */
export const FOLLOW_UP = /^\s*(?:follow[- ]?up|todo|action(?: item)?)\s*[:-]\s*/i;

export function incidentReport(input: {
  incident: Incident;
  notes: readonly TimelineEntry[];
  /** The rollout's own actions (deploy, approvals, traffic changes, gate results, the rollback). */
  rolloutActions?: readonly RolloutNote[];
  now: string;
}): IncidentReport {
  const { incident, notes } = input;
  const timeline: ReportEntry[] = [
    ...(input.rolloutActions ?? []).map(
      (n): ReportEntry => ({ at: n.at, source: 'bot', author: n.by ?? 'shiftgate', text: n.what }),
    ),
    ...notes.map(
      (n): ReportEntry => ({
        at: n.at,
        source: n.source,
        author: n.author,
        text: n.text,
        ...(n.editedAt ? { editedAt: n.editedAt } : {}),
      }),
    ),
  ];
  // Stable sort: equal times keep rollout actions before the notes taken at that moment.
  timeline.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));

  const people = new Set<string>([incident.openedBy]);
  for (const entry of timeline)
    if (entry.source === 'human' || entry.author !== 'shiftgate') people.add(entry.author);
  if (incident.rolledBackBy) people.add(incident.rolledBackBy);
  if (incident.resolvedBy) people.add(incident.resolvedBy);
  people.delete('shiftgate');

  const end = incident.resolvedAt ?? input.now;
  return {
    incidentId: incident.id,
    service: incident.service,
    env: incident.env,
    status: incident.status,
    symptom: incident.symptom,
    failedStage: incident.failedStage ?? null,
    rolloutId: incident.rolloutId ?? null,
    revisions: { from: incident.revisions?.from ?? null, to: incident.revisions?.to ?? null },
    traffic: { before: incident.trafficBefore ?? null, after: incident.trafficAfter ?? null },
    routeOverride: incident.routeOverride ?? null,
    opened: { at: incident.openedAt, by: incident.openedBy },
    resolved: incident.resolvedAt
      ? { at: incident.resolvedAt, by: incident.resolvedBy ?? 'unknown', summary: incident.summary ?? null }
      : null,
    durationMinutes: Math.max(0, differenceInMinutes(end, incident.openedAt, { roundingMethod: 'round' })),
    timeline,
    people: [...people],
    followUps: notes
      .filter((n) => n.source === 'human' && FOLLOW_UP.test(n.text))
      .map((n) => ({ text: n.text.replace(FOLLOW_UP, ''), by: n.author, at: n.at })),
  };
}

export function incidentReportJson(report: IncidentReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Slack ids as mentions stay readable in Slack's file preview; the bot is named plainly. */
const who = (id: string) => (/^[UW][A-Z0-9]+$/.test(id) ? `<@${id}>` : id);
const split = (value: Split | null) => (value ? formatSplit(value) : 'not recorded');

export function incidentReportMarkdown(report: IncidentReport): string {
  const lines = [
    `# Incident report: ${report.service} (${report.env})`,
    '',
    `Incident \`${report.incidentId}\`, ${report.status}. ${report.symptom}`,
    '',
    '| field | value |',
    '|---|---|',
    `| failed stage | ${report.failedStage ?? 'none (not a rollout stage)'} |`,
    `| symptom | ${text(report.symptom)} |`,
    `| revisions | ${report.revisions.from ?? 'unknown'} -> ${report.revisions.to ?? 'unchanged'} |`,
    `| traffic before | ${split(report.traffic.before)} |`,
    `| traffic after | ${split(report.traffic.after)} |`,
    `| route override | ${report.routeOverride ?? 'none'} |`,
    `| rollout | ${report.rolloutId ?? 'none'} |`,
    `| opened | ${report.opened.at} by ${who(report.opened.by)} |`,
    `| resolved | ${report.resolved ? `${report.resolved.at} by ${who(report.resolved.by)}` : 'still open'} |`,
    `| duration | ${report.durationMinutes} min |`,
    `| people | ${report.people.map(who).join(', ') || 'nobody'} |`,
    '',
  ];
  if (report.resolved?.summary) lines.push('## Summary', '', report.resolved.summary, '');
  lines.push('## Timeline', '', '| time (UTC) | who | what |', '|---|---|---|');
  for (const e of report.timeline) {
    const edited = e.editedAt ? ` _(edited ${e.editedAt})_` : '';
    lines.push(
      `| ${e.at} | ${who(e.author)}${e.source === 'bot' ? ' (bot)' : ''} | ${text(e.text)}${edited} |`,
    );
  }
  lines.push('', '## Open follow-ups', '');
  if (report.followUps.length === 0)
    lines.push('None noted (start a note with "follow-up:" to list one here).');
  for (const f of report.followUps) lines.push(`- [ ] ${f.text} (${who(f.by)}, ${f.at})`);
  return `${lines.join('\n')}\n`;
}
