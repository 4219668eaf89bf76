import type { GateMode } from '../config/gates.ts';
import type { GateTally } from '../runbooks/gate-tally.ts';
import {
  code,
  context,
  escapeText,
  fitting,
  lineSections,
  type Mrkdwn,
  md,
  mdJoin,
  message,
  type SlackMessage,
  section,
} from './message.ts';

// `/gates report`: each gate's track record (runbooks/gate-tally.ts says what each count means), one
// line a gate, answered to the person who asked. Pure: the command reads the record and the config.

export interface GateReportInput {
  /** The service (and environment) asked about; none: every service. */
  service?: string;
  env?: string;
  /** Rollouts counted per gate at most. */
  last: number;
  /** Finished rollouts read from the record. */
  rollouts: number;
  tallies: GateTally[];
  /** Each gate's mode in the config now; undefined: no longer in the config. */
  modeNow: Record<string, GateMode | undefined>;
  /** Gates the runbooks name that no recorded rollout evaluated yet. */
  unrecorded: string[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function gateReport(input: GateReportInput): SlackMessage {
  const scope = input.service
    ? md`${code(input.service)}${input.env ? md` in ${code(input.env)}` : ''}`
    : md`every service${input.env ? md` in ${code(input.env)}` : ''}`;
  const head = md`*Gate track record* of ${scope}: each gate over the last ${input.last} finished rollouts it was evaluated in (${plural(input.rollouts, 'rollout')} recorded).`;
  const tallies = [...input.tallies].sort((a, b) => a.gate.localeCompare(b.gate));
  const lines = tallies.map((t) => gateRecordLine(t, input.modeNow[t.gate]));
  const never = input.unrecorded.filter((g) => !tallies.some((t) => t.gate === g)).sort();
  if (never.length > 0) {
    lines.push(
      md`_Not evaluated in any recorded rollout yet:_ ${mdJoin(
        never.map((g) => code(g)),
        ', ',
      )}`,
    );
  }
  const legend = context(
    md`*Would have blocked*: failed as a check, or failed a stage judged alone with its failure limit, whatever its mode. *For cause*: rolled back by a gate or a person (also by a /rollback of its revision after promotion), or stopped at stage A by a check. Aborted rollouts count as neither. An enforce gate's blocks are its own rollbacks: only its shadow and advisory rollouts show whether it is right.`,
  );
  const empty = section(
    md`_No finished rollout is recorded yet: the record starts with the next one that ends._`,
  );
  // As many gates as fit the message; the rest are counted ("and N more").
  const blocks = fitting((budget) => {
    let used = 0;
    const shown = lines.findIndex((l) => {
      used += Math.min(l.text.length, LINE_MAX) + 1;
      return used > budget;
    });
    const body =
      lines.length === 0
        ? [empty]
        : lineSections(lines, {
            maxLine: LINE_MAX,
            maxLines: shown === -1 ? lines.length : Math.max(1, shown),
            more: 'name a service to see fewer',
          });
    return [section(head), ...body, legend];
  }, LINE_BUDGET);
  return message(md`Gate track record of ${input.service ?? 'every service'}`, blocks);
}

/** Chars of gate lines a report may carry (the message's JSON ceiling is 12,000), and of one line. */
const LINE_BUDGET = 9000;
const LINE_MAX = 900;

/**
 * `*error-logs* _shadow_: would have blocked 2 of the last 40 rollouts: 1 rolled back for cause (after
 * promotion), 1 promoted healthy (a false alarm). Missed 0 of 3 rollbacks for cause.`
 */
export function gateRecordLine(t: GateTally, now: GateMode | undefined): Mrkdwn {
  const mode = now === undefined ? md`_no longer in the config_` : md`_${now}_`;
  const counted = md`the last ${plural(t.evaluated, 'rollout')}`;
  const recorded = recordedModes(t, now);
  const parts: Mrkdwn[] = [];
  if (t.blocked === 0) {
    parts.push(md`would have blocked none of ${counted}`);
  } else {
    const why: Mrkdwn[] = [];
    if (t.rightly > 0) {
      const later = t.laterCause > 0 ? md` (${t.laterCause} of them after promotion)` : '';
      why.push(md`${t.rightly} ${t.rightly === 1 ? 'was' : 'were'} rolled back for cause${later}`);
    }
    if (t.falseAlarms > 0)
      why.push(md`${t.falseAlarms} promoted healthy (${plural(t.falseAlarms, 'false alarm')})`);
    if (t.blockedOther > 0) why.push(md`${t.blockedOther} aborted`);
    parts.push(md`would have blocked *${t.blocked}* of ${counted}: ${mdJoin(why, ', ')}`);
  }
  parts.push(
    t.forCause === 0
      ? md`no rollback for cause to miss`
      : md`missed ${t.missed} of ${plural(t.forCause, 'rollback')} for cause`,
  );
  if (t.blockedBy.enforce > 0) parts.push(md`${t.blockedBy.enforce} of its blocks were enforced`);
  return md`*${escapeText(t.gate)}* ${mode}${recorded}: ${mdJoin(parts, '; ')}.`;
}

/** " (recorded shadow in 30, enforce in 10)" when the counted rollouts had it in another mode than now. */
function recordedModes(t: GateTally, now: GateMode | undefined): Mrkdwn | '' {
  const used = (Object.entries(t.modes) as [GateMode, number][]).filter(([, n]) => n > 0);
  if (used.length === 0 || (used.length === 1 && used[0]?.[0] === now)) return '';
  return md` (recorded ${mdJoin(
    used.map(([m, n]) => md`${m} in ${n}`),
    ', ',
  )})`;
}
