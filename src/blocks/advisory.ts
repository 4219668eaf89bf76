import type { GateResult } from '../gates/result.ts';
import type { CanaryState } from '../runbooks/types.ts';
import { ACTIONS, encodeValue } from './actions.ts';
import { gateLine } from './gate-lines.ts';
import {
  actions,
  button,
  code,
  context,
  escapeText,
  lineSections,
  type Mrkdwn,
  md,
  mdJoin,
  mention,
  message,
  type SlackMessage,
  section,
  withMentions,
} from './message.ts';
import { plainTitle } from './rollout-words.ts';
import { slackDate } from './time.ts';

// The ask of a failed advisory gate, in the rollout's thread: the failing results, and one click, continue
// or roll back. Once decided (or once the rollout moved on without it) it is edited to say who decided
// what and when, and its buttons go. Who may click is checked on the server (runbooks/roles.ts).

export interface AdvisoryDetails {
  /** Who may approve a stage (and so continue), in mrkdwn (runbooks/principals.ts describePrincipals). */
  approvers?: string;
  /** False: the requester may not continue past the gate on their own rollout. */
  allowSelfApproval?: boolean;
}

export function advisoryAskMessage(
  state: CanaryState,
  stageIndex: number,
  askIndex: number,
  details: AdvisoryDetails = {},
): SlackMessage {
  const stage = state.stages[stageIndex];
  const ask = stage?.asks?.[askIndex];
  const where = stage
    ? md`stage ${escapeText(stage.name)} (${stage.traffic} %) of ${code(state.service)} in ${code(state.env)}`
    : md`${code(state.service)} in ${code(state.env)}`;
  const gates = mdJoin((ask?.gates ?? []).map(code), ', ');
  const lines = failingLines(state, stageIndex, ask?.gates ?? []);
  const open =
    ask !== undefined &&
    ask.decision === undefined &&
    state.stage === stageIndex &&
    state.status === 'needs-attention' &&
    stage?.asks?.length === askIndex + 1;
  const title = md`${plainTitle(state)}: advisory gate ${ask?.gates.join(', ') ?? ''} failed`;
  if (!open) {
    const d = ask?.decision;
    const head = d
      ? d.choice === 'continue'
        ? md`:arrow_forward: *Continued* past advisory ${gates} at ${where}, by ${mention(d.by)} ${slackDate(d.at)}: waived for the rest of the stage`
        : d.choice === 'roll back'
          ? md`:leftwards_arrow_with_hook: *Rolled back* at advisory ${gates}, ${where}, by ${mention(d.by)} ${slackDate(d.at)}`
          : md`:no_entry_sign: *Aborted* at advisory ${gates}, ${where}, by ${mention(d.by)} ${slackDate(d.at)}`
      : md`:heavy_minus_sign: *No longer asked*: advisory ${gates} at ${where}; the rollout is ${state.status}`;
    return message(title, [section(head), ...lineSections(lines, LINES)]);
  }
  const value = encodeValue({ r: state.id, s: stageIndex, a: askIndex });
  const traffic = state.canaryRevision ? (state.trafficNow?.[state.canaryRevision] ?? 0) : 0;
  const rollBack =
    traffic > 0
      ? md`*Roll back*: the rollback procedure, as if the gate enforced (the requester, rollback approvers, break-glass, admins).`
      : md`*Roll back*: the rollout stops here; the new revision never had traffic.`;
  const notes: Mrkdwn[] = [
    md`*Continue*: the gate is waived for the rest of this stage. An approval: ${
      details.approvers ? withMentions(details.approvers) : 'the approvers of a stage'
    }${details.allowSelfApproval === false ? md`, not ${mention(state.requestedBy)} who asked for the rollout` : ''}.`,
    rollBack,
  ];
  if (state.dryRun) notes.push(md`:test_tube: Dry run: nothing changes on Cloud Run either way.`);
  return message(title, [
    section(
      md`:warning: *Advisory gate failed* at ${where}: ${gates} would have rolled back. Continue or roll back?`,
    ),
    ...lineSections(lines, LINES),
    context(...notes),
    ...actions([
      button('Continue', ACTIONS.advisoryContinue, value, 'primary', {
        title: 'Continue past the advisory gate?',
        text: 'The rollout goes on; this gate does not ask again in this stage.',
        confirm: 'Continue',
      }),
      button('Roll back', ACTIONS.advisoryRollback, value, 'danger', {
        title: 'Roll back?',
        text:
          traffic > 0
            ? `Runs the rollback procedure: 100 % of traffic to ${state.stableRevision ?? 'the stable revision'}, verify, checks. It opens an incident.`
            : 'The rollout ends here: the new revision never had traffic.',
        confirm: 'Roll back',
      }),
    ]),
  ]);
}

/** Each failing gate's line, cut to fit; a stage has few gates, so a few sections at most. */
const LINES = { maxLine: 600, maxSections: 4 };

/** The latest failing result of each of these gates in the stage (its ticks, then its checks). */
function failingLines(state: CanaryState, stageIndex: number, gates: readonly string[]): Mrkdwn[] {
  const stage = state.stages[stageIndex];
  const results: GateResult[] = [...(stage?.checks ?? []), ...(stage?.ticks.flat() ?? [])];
  return gates.flatMap((gate) => {
    const latest = results.findLast((r) => r.gate === gate && r.status === 'fail');
    return latest ? [gateLine(latest, 600)] : [];
  });
}
