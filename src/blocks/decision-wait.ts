import { formatNumber } from '../gates/render.ts';
import type { GateResult } from '../gates/result.ts';
import { aboutDuration, type GateWait, rateText, stageWait, waitText } from '../gates/time-to-decision.ts';
import type { CanaryState, StageProgress } from '../runbooks/types.ts';
import { code, type Mrkdwn, md, mdJoin, mention, message, type SlackMessage, section } from './message.ts';
import { between, slackDate } from './time.ts';

// Time to decision in Slack: the line the stage's gate message (and the card) carries while a gate waits
// for canary requests, and the warning posted once in the thread when the watch window cannot get them
// at the traffic seen (gates/time-to-decision.ts has the arithmetic).

/**
 * `:hourglass_flowing_sand: *error-rate* waits for 60 more canary requests (100 needed), about 4 min more
 * at 0.4 req/s`, from a tick's results; undefined when no gate waits for requests.
 */
export function waitLine(stage: StageProgress, results: readonly GateResult[]): Mrkdwn | undefined {
  const start = stage.windowStartedAt ?? stage.startedAt;
  if (start === undefined || stage.windowEndsAt === undefined) return undefined;
  const wait = stageWait(results, { start, end: stage.windowEndsAt });
  if (!wait) return undefined;
  const emoji = wait.decision.kind === 'waiting' ? ':hourglass_flowing_sand:' : ':warning:';
  return md`${emoji} *${wait.gate}* ${waitText(wait)}`;
}

/** The warning of a stage whose window cannot decide at this traffic: the numbers, and what to do. */
export function cannotDecideMessage(state: CanaryState, index: number, wait: GateWait): SlackMessage {
  const stage = state.stages[index];
  const name = stage ? md`stage ${stage.name} (${stage.traffic} %)` : md`stage ${index}`;
  const start = stage?.windowStartedAt ?? stage?.startedAt;
  const end = stage?.windowEndsAt;
  const watch = between(start, end);
  const head = md`:warning: ${mention(state.requestedBy)} *${name} cannot reach a decision within its${watch ? ` ${watch}` : ''} watch window at this traffic.*`;
  const d = wait.decision;
  const gate = md`*${wait.gate}*`;
  const needed = formatNumber(wait.needed);
  const numbers =
    d.kind === 'no-traffic'
      ? md`${gate} needs ${needed} canary requests to judge, and Cloud Monitoring saw no request to the service: there is no rate to estimate from.`
      : md`${gate} needs ${needed} canary requests to judge (${formatNumber(wait.counted)} so far); at ${rateText(wait.rate)} about ${formatNumber(d.byEnd)} are expected by the window's end${end ? md` ${slackDate(end)}` : ''}.`;
  const left = md`Left as it is, the window ends before ${gate} has judged: the stage is then decided on its other gates or, when none could judge, watched once more and then left to people.`;
  // How long a window would have them, and how much longer than this one that is.
  const longer = d.kind === 'no-traffic' ? undefined : d.watchNeededMs;
  const windowMs = start && end ? Date.parse(end) - Date.parse(start) : undefined;
  const extra = longer !== undefined && windowMs !== undefined ? longer - windowMs : undefined;
  const todo = [
    longer !== undefined && extra !== undefined
      ? md`• *Lengthen the watch*: a \`watch\` of about ${aboutDuration(longer)} for this stage in the runbook. For this rollout: Pause now and Resume about ${aboutDuration(extra)} later, and the window is extended by the time paused (no gate is read meanwhile).`
      : md`• *Lengthen the watch*: a longer \`watch\` for this stage in the runbook. For this rollout: Pause now and Resume later, and the window is extended by the time paused (no gate is read meanwhile).`,
    md`• *Raise the canary share*: a higher \`traffic\` for this stage in the runbook sends the canary more of the requests.`,
    md`• *Generate traffic*: send requests to the canary${state.canaryUrl ? md` at ${code(state.canaryUrl)}` : ''}.`,
  ];
  const text = md`${state.service} ${state.tag}: ${name} cannot reach a decision within its watch window at this traffic`;
  return message(text, [
    section(mdJoin([head, numbers, left], '\n')),
    section(mdJoin([md`*What to do*`, ...todo], '\n')),
  ]);
}
