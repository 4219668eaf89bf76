import type { TimelineEntry } from './types.ts';

// The rollout's own timeline (bot actions and who asked for them), and the little time arithmetic the
// runbooks need. Times are ISO strings carried by the events, so a step never reads a clock.

/** Append a line to the timeline: what happened, when, and by whom when a person did it. */
export function note(state: { timeline: TimelineEntry[] }, at: string, what: string, by?: string): void {
  state.timeline.push(by === undefined ? { at, what } : { at, what, by });
}

export function addMs(at: string, ms: number): string {
  return new Date(Date.parse(at) + ms).toISOString();
}

export function msBetween(from: string, to: string): number {
  return Date.parse(to) - Date.parse(from);
}

export function isBefore(a: string, b: string): boolean {
  return Date.parse(a) < Date.parse(b);
}

export function earliest(a: string, b: string): string {
  return isBefore(b, a) ? b : a;
}

export function latest(a: string, b: string): string {
  return isBefore(a, b) ? b : a;
}
