// Named step boundaries where a process can be made to die on purpose, for the chaos run (`npm run chaos`)
// and crash tests. With SHIFTGATE_CRASH_AT unset (production) `crashPoint` does nothing. Set to
// `<point>` or `<point>:<n>`, the process SIGKILLs itself the n-th time (default: the first) it passes that
// boundary: no exit handlers, no flushed writes, exactly as a replica killed by the platform.

export const CRASH_POINTS = [
  /** The deploy lock is taken; the rollout record may not exist yet. */
  'after-lock-acquire',
  /** The rollout record exists; its first step is not saved yet. */
  'after-record-create',
  /** A step's new state and its outbox are saved; the effects have not run. */
  'after-transition',
  /** As after-transition, for the step that made the rollout terminal. */
  'after-terminal-transition',
  /** Cloud Run answered the deploy; the result is not saved yet. */
  'after-deploy',
  /** Cloud Run answered a traffic change; the result is not saved yet. */
  'after-set-traffic',
  /** The flag backend answered a flag change; the result is not saved yet. */
  'after-set-flags',
  /** Slack answered chat.postMessage; the message's ts is not saved yet. */
  'after-slack-post',
  /** An approval was recorded; the event it completes may not be applied yet. */
  'after-approval',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

export const CRASH_ENV = 'SHIFTGATE_CRASH_AT';

const passed = new Map<CrashPoint, number>();

/** Dies here when SHIFTGATE_CRASH_AT names this point (and this is its n-th pass). */
export function crashPoint(point: CrashPoint): void {
  const setting = process.env[CRASH_ENV];
  if (!setting) return;
  const [name, nth] = setting.split(':');
  if (name !== point) return;
  const count = (passed.get(point) ?? 0) + 1;
  passed.set(point, count);
  if (count < Math.max(1, Number(nth ?? 1) || 1)) return;
  process.kill(process.pid, 'SIGKILL');
}
