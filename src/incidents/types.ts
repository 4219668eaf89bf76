import type { Split } from '../runbooks/types.ts';

// What an incident is and what its timeline holds: the words the incident card, the report and the store
// share (incidents.ts opens, notes and resolves incidents; store/timelines.ts keeps the timelines).

export interface Incident {
  id: string;
  service: string;
  env: string;
  symptom: string;
  openedBy: string;
  openedAt: string;
  channel: string;
  ts?: string;
  rolloutId?: string;
  failedStage?: string;
  revisions?: { from?: string; to: string };
  trafficBefore?: Split;
  trafficAfter?: Split;
  routeOverride?: string;
  /** The rollback's override was lifted since (/route clear, Restore route): by whom, when. */
  routeLifted?: { by: string; at: string };
  /** Who rolled back by hand, for an incident opened by a manual rollback. */
  rolledBackBy?: string;
  status: 'open' | 'resolved';
  resolvedBy?: string;
  resolvedAt?: string;
  summary?: string;
}

/** Who wrote a timeline line: a person (a note captured from the incident thread) or the bot. */
export type TimelineSource = 'human' | 'bot';

/** A line of an incident's timeline, in time order: a bot action or a person's note. */
export interface TimelineEntry {
  id: string;
  /** ISO time. */
  at: string;
  author: string;
  /** Latest text (after edits). */
  text: string;
  source: TimelineSource;
  /** Slack message ts, when the entry is a Slack message. */
  ts?: string;
  /** ISO time of the latest edit. */
  editedAt?: string;
}
