import type { NoTarget, RollbackTarget } from '../runbooks/rollback-target.ts';
import { code, type Mrkdwn, md, mdJoin } from './message.ts';
import { slackDate } from './time.ts';

// Where a manual rollback goes, said the same way on the request card, in the approval's confirm dialog
// and in the replies that confirm it: the revision, its image and when it last served.

/** "`rev` (image `img`), last served <date>: stable since …" in mrkdwn. */
export function targetText(target: RollbackTarget): Mrkdwn {
  const image = target.image ? md` (image ${code(target.image)})` : '';
  const served = target.lastServed
    ? md`, last served ${slackDate(target.lastServed)}`
    : ', never seen serving';
  return md`${code(target.revision)}${image}${served}: ${target.why}`;
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
export function noTargetText(refusal: NoTarget & { service: string; env: string }): Mrkdwn {
  const passed = mdJoin(
    refusal.passedOver.map((p) => md`• ${code(p.revision)}: ${p.why}`),
    '\n',
  );
  const form = `/rollback ${refusal.service} ${refusal.env} --to <revision> --reason "<what happened>"`;
  return mdJoin(
    [
      md`I can't tell which revision to roll ${code(refusal.service)} in ${code(refusal.env)} back to: ${refusal.why}. A rollback without \`--to\` only goes to a revision that served as the stable one of a promoted rollout, never to one whose rollout was aborted, failed or rolled back.`,
      ...(refusal.passedOver.length > 0 ? [md`Passed over:\n${passed}`] : []),
      md`Name the revision yourself: ${code(form)}`,
    ],
    '\n',
  );
}
