import { help, validationCard, validationFilesComment, validationFilesFailed } from '../blocks/index.ts';
import { code, link, type Mrkdwn, md, mdJoin, mention, withMentions } from '../blocks/message.ts';
import { messageOf } from '../gates/error-result.ts';
import type { AttachedFile } from '../platform/slack/poster.ts';
import { keepReport } from '../platform/slack/report-keep.ts';
import { VALIDATION_SUMMARY_MD, validationSummaryMarkdown } from '../reports/validation-summary.ts';
import { RESULTS_TSV, resultsTsv } from '../reports/validation-tsv.ts';
import { describePrincipals } from '../runbooks/principals.ts';
import type { Validation, ValidationRun } from '../validation/index.ts';
import { channelMention } from './scope.ts';
import { type Invocation, isAnyOf, type Reply, type Surface, say } from './surface.ts';
import type { ValidateIntent } from './validate-args.ts';

// /validate: the validation matrix of seed 002. The card goes in the channel the command was typed in
// (the validation is about an environment, not one service's channel; whoever asks reads the answer
// there). The matrix runs after the answer; results.tsv and SUMMARY.md are kept in the environment's
// report sinks (each environment's, for a run over several), then go in the card's thread, and the card
// is edited to the verdict. `/validate staging prod` runs both matrices as one run.
//
// Who may run it: the environment's deployers, approvers and admins (of every environment it names). A
// run only reads, but it sends authenticated requests with the environment's access token (sessions,
// sync-token mints) and its verdict is a release decision, so it is theirs to make; everyone else reads
// the card and the files. One run at a time per environment.

const ANSWER = {
  noPorts: md`Validation is not available on this replica: it was started without the Cloud Run and Cloud Logging ports it needs.`,
};

export async function runValidate(intent: ValidateIntent, who: Invocation, surface: Surface): Promise<Reply> {
  switch (intent.sub) {
    case 'help':
      return help('/validate');
    case 'files':
      return uploadAgain(intent.runId, surface);
    case 'run':
      return start(intent, who, surface);
  }
}

/** `staging`, `staging` and `prod`: the environments as code spans. */
function envWords(envs: readonly string[]): Mrkdwn {
  return envs
    .map((env) => md`${code(env)}`)
    .reduce((all, one, i, list) => (i === list.length - 1 ? md`${all} and ${one}` : md`${all}, ${one}`));
}

async function start(
  intent: Extract<ValidateIntent, { sub: 'run' }>,
  who: Invocation,
  surface: Surface,
): Promise<Reply> {
  const { envs, baseline, phase, sha, image } = intent;
  const { config, poster } = surface;
  const validation = surface.validation;
  if (!validation) return say(ANSWER.noPorts);
  for (const env of envs) {
    const environment = Object.hasOwn(config.environments, env) ? config.environments[env] : undefined;
    if (!environment) return say(md`Unknown environment ${code(env)}.`);
    const roles = [environment.deployers, environment.approval.approvers, environment.admins];
    if (!(await isAnyOf(surface, who.userId, roles))) {
      return say(
        md`Only deployers, approvers and admins of ${code(env)} may run its validation (${withMentions(describePrincipals(...roles))}): it calls the services with the environment's access token and its verdict is a release decision. Anyone can read a run's card and files.`,
      );
    }
  }

  const begun = await validation.begin({
    envs,
    mode: baseline ? 'baseline' : 'gating',
    requestedBy: who.userId,
    ...(phase ? { phase } : {}),
    ...(sha || image ? { subject: { ...(sha ? { sha } : {}), ...(image ? { image } : {}) } } : {}),
  });
  if (!begun.ok) {
    if (begun.reason !== 'running') return say(md`Cannot validate ${envWords(envs)}: ${begun.message}.`);
    const card = await poster.ref(begun.holder, 'card');
    const permalink = card ? await poster.permalink(card) : undefined;
    const by = begun.running
      ? md` (asked by ${mention(begun.running.requestedBy)} at ${begun.running.startedAt})`
      : '';
    const where = permalink
      ? link(permalink, 'Its card')
      : card
        ? md`Its card in ${channelMention(card.channel)}`
        : 'Its card';
    return say(
      md`A validation of ${code(begun.env)} is already running: ${code(begun.holder)}${by}. ${where} gets the verdict; start another when it is done.`,
    );
  }
  const run = begun.run;
  let card: { channel: string; ts: string };
  try {
    card = await poster.upsert(run.id, 'card', { channel: who.channel.id }, validationCard(run));
  } catch (error) {
    const why = messageOf(error);
    await validation.abandon(run, `the card could not be posted: ${why}`);
    return say(
      md`Could not post the validation card in this channel (${why}), so nothing was run. Invite shiftgate here (\`/invite @shiftgate\`) or run ${code(`/validate ${envs.join(' ')}`)} from a channel it is in.`,
    );
  }
  // The matrix runs after this answer; a failure in publishing is reported in the thread, never thrown.
  // Tracked, so a stopping replica lets it finish (files uploaded, card edited) before closing Redis.
  validation.track(
    publish(validation, run, card, surface).catch((error: unknown) =>
      surface.log.error({ runId: run.id, error: messageOf(error) }, 'validation publishing failed'),
    ),
  );
  const mode = baseline ? ' as a baseline (recorded without gating)' : '';
  const scope = [
    ...(phase ? [md`phase ${code(phase)}`] : []),
    ...(sha ? [md`commit ${code(sha)}`] : []),
    ...(image ? [md`image ${code(image)}`] : []),
  ];
  const of = scope.length > 0 ? md` (${mdJoin(scope, ', ')})` : '';
  return say(
    md`Validation of ${envWords(envs)}${of} started${mode}: ${code(run.id)}, ${run.plan.length} checks. The card is in this channel; results.tsv and SUMMARY.md go in its thread, then the verdict.`,
  );
}

/** Runs the matrix, uploads the files into the card's thread, and edits the card to the verdict. */
async function publish(
  validation: Validation,
  begun: ValidationRun,
  card: { channel: string; ts: string },
  surface: Surface,
): Promise<void> {
  const log = surface.log;
  let run = await validation.execute(begun);
  // The durable copy first, as a rollout's report: if this replica dies before the Slack upload, the
  // sinks have the files and `/validate files` uploads them (and writes the sinks again, idempotently).
  await keepFiles(run, card, surface);
  try {
    await surface.poster.attach(
      run.id,
      'files',
      { channel: card.channel, threadTs: card.ts },
      {
        comment: validationFilesComment(run),
        files: validationFiles(run),
      },
    );
  } catch (error) {
    const why = messageOf(error);
    log.warn({ runId: run.id, error: why }, 'validation files not uploaded');
    run = await validation
      .note(run, `results.tsv and SUMMARY.md could not be uploaded: ${why}`)
      .catch(() => run);
    await surface.poster
      .post({ channel: card.channel, threadTs: card.ts }, validationFilesFailed(run, why))
      .catch((e: unknown) =>
        log.warn({ runId: run.id, error: messageOf(e) }, 'validation upload failure not posted'),
      );
  }
  await surface.poster
    .update(run.id, 'card', validationCard(run))
    .catch((error: unknown) =>
      log.warn({ runId: run.id, error: messageOf(error) }, 'validation card not updated'),
    );
}

/** results.tsv and SUMMARY.md into the report sinks of every environment of the run; never throws. */
async function keepFiles(run: ValidationRun, card: { channel: string; ts: string }, surface: Surface) {
  await keepReport(
    {
      poster: surface.poster,
      config: surface.config,
      sinks: surface.reportSinks,
      log: { error: (message, fields) => surface.log.error({ runId: run.id, ...fields }, message) },
    },
    {
      id: run.id,
      envs: run.envs,
      files: validationFiles(run),
      thread: { channel: card.channel, threadTs: card.ts },
      ...(run.finishedAt ? { at: run.finishedAt } : {}),
    },
  );
}

export function validationFiles(run: ValidationRun): AttachedFile[] {
  return [
    { filename: RESULTS_TSV, content: resultsTsv(run) },
    {
      filename: VALIDATION_SUMMARY_MD,
      title: `SUMMARY.md (${run.id})`,
      content: validationSummaryMarkdown(run),
    },
  ];
}

/** `/validate files <run-id>`: the files of a kept run into its card's thread again. Anyone may. */
async function uploadAgain(runId: string, surface: Surface): Promise<Reply> {
  const validation = surface.validation;
  if (!validation) return say(ANSWER.noPorts);
  const run = await validation.get(runId);
  if (!run) return say(md`No validation run ${code(runId)} is kept (runs are kept 90 days).`);
  if (run.status === 'running') return say(md`${code(runId)} is still running: its files come when it ends.`);
  if (run.status === 'abandoned')
    return say(md`${code(runId)} never ran (${run.note ?? 'abandoned'}): it has no results.`);
  const card = await surface.poster.ref(runId, 'card');
  if (!card)
    return say(md`The card of ${code(runId)} is no longer known, so there is no thread to upload into.`);
  await keepFiles(run, card, surface);
  try {
    await surface.poster.attach(
      runId,
      'files',
      { channel: card.channel, threadTs: card.ts },
      {
        comment: validationFilesComment(run),
        files: validationFiles(run),
      },
    );
  } catch (error) {
    return say(
      md`Still could not upload the files of ${code(runId)}: ${messageOf(error)}. The run stays kept; try again later.`,
    );
  }
  const permalink = await surface.poster.permalink(card);
  return say(
    md`results.tsv and SUMMARY.md of ${code(runId)} are in its thread${permalink ? md`: ${link(permalink, 'open it')}` : ''}.`,
  );
}
