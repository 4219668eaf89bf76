import { z } from 'zod';

// The buttons the bot posts: their action ids, and what their value carries. A value only names what
// the button is about; the server checks everything else (who, current stage, still active) against the
// store at the moment of the click, never trusting the button.

export const ACTIONS = {
  /** Approval request: approve this stage's traffic shift. */
  approve: 'approval.approve',
  /** Approval request: abort the rollout instead. */
  approvalAbort: 'approval.abort',
  /** Rollout card. */
  pause: 'rollout.pause',
  resume: 'rollout.resume',
  abort: 'rollout.abort',
  promote: 'rollout.promote',
  /** Rollout card, during the post-promotion watch: end it now (/canary done). */
  endWatch: 'rollout.end-watch',
  /** Roll back now (the one click a failed gate asks for, or a manual rollback request). */
  rollback: 'rollout.rollback',
  /** An advisory gate's ask in the thread: go on past it, or roll back (value: rollout, stage, ask). */
  advisoryContinue: 'advisory.continue',
  advisoryRollback: 'advisory.rollback',
  /** Rollback request card. */
  rollbackApprove: 'rollback.approve',
  rollbackCancel: 'rollback.cancel',
  /** Route change request card (/route override|clear). */
  routeApprove: 'route.approve',
  routeCancel: 'route.cancel',
  /** Incident card. */
  resolve: 'incident.resolve',
  /** Resolved incident card, while its rollback's route override stands: ask to clear it. */
  restoreRoute: 'incident.restore-route',
} as const;

export type ActionId = (typeof ACTIONS)[keyof typeof ACTIONS];

export const buttonValue = z.strictObject({
  /** Rollout id (approvals, card buttons). */
  r: z.string().max(128).optional(),
  /** Stage index the button was posted for (approvals): a click for an earlier stage is refused. */
  s: z.int().min(0).max(100).optional(),
  /** Index of the advisory ask in its stage (advisory buttons): a click on a decided ask is refused. */
  a: z.int().min(0).max(1000).optional(),
  /** Rollback request id, or route change request id. */
  q: z.string().max(128).optional(),
  /** Incident id. */
  i: z.string().max(160).optional(),
});
export type ButtonValue = z.infer<typeof buttonValue>;

export function encodeValue(value: ButtonValue): string {
  return JSON.stringify(value);
}

/** The button's value, or undefined when it is not one of ours. */
export function decodeValue(text: string | undefined): ButtonValue | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = buttonValue.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
