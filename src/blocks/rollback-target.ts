import type { NoTarget, RollbackTarget } from '../runbooks/rollback-target.ts';
import { code, escapeText } from './message.ts';
import { slackDate } from './time.ts';

// Where a manual rollback goes, said the same way on the request card, in the approval's confirm dialog
// and in the replies that confirm it: the revision, its image and when it last served.

/** "`rev` (image `img`), last served <date>: stable since …" in mrkdwn. */
export function targetText(target: RollbackTarget): string {
  const image = target.image ? ` (image ${code(target.image)})` : '';
  const served = target.lastServed ? `, last served ${slackDate(target.lastServed)}` : ', never seen serving';
  return `${code(target.revision)}${image}${served}: ${escapeText(target.why)}`;
}

/** The same in plain text, for a confirm dialog (plain_text shows no markup at all). */
export function targetPlain(target: RollbackTarget): string {
  const image = target.image ? ` (image ${target.image})` : '';
  const served = target.lastServed ? `, last served ${plainDate(target.lastServed)}` : '';
  return `${target.revision}${image}${served}`;
}

function plainDate(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Why /rollback without --to was refused, and what to type instead. */
export function noTargetText(refusal: NoTarget & { service: string; env: string }): string {
  const passed = refusal.passedOver.map((p) => `• ${code(p.revision)}: ${escapeText(p.why)}`).join('\n');
  const form = `/rollback ${refusal.service} ${refusal.env} --to <revision> --reason "<what happened>"`;
  return [
    `I can't tell which revision to roll ${code(refusal.service)} in ${code(refusal.env)} back to: ${escapeText(refusal.why)}. A rollback without \`--to\` only goes to a revision that served as the stable one of a promoted rollout, never to one whose rollout was aborted, failed or rolled back.`,
    ...(passed ? [`Passed over:\n${passed}`] : []),
    `Name the revision yourself: ${code(form)}`,
  ].join('\n');
}
