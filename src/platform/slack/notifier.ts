import { advisoryAskMessage } from '../../blocks/advisory.ts';
import { freezeOverrideLine } from '../../blocks/freeze.ts';
import {
  approvalDecided,
  approvalRequest,
  cannotDecideMessage,
  cutoverApproval,
  cutoverStepMessage,
  flagApproval,
  flagStepMessage,
  gateResultsMessage,
  kindCard,
  rollingBackMessage,
} from '../../blocks/index.ts';
import { code, type Mrkdwn, md, mention, message, section } from '../../blocks/message.ts';
import { preconditionsMessage } from '../../blocks/preconditions.ts';
import { humanDuration } from '../../blocks/time.ts';
import type { ShiftgateConfig } from '../../config/schema.ts';
import { serviceTarget } from '../../config/target.ts';
import type { StageVerdict } from '../../gates/judge.ts';
import type { Logger, Notify } from '../../runbooks/effects.ts';
import type { RolloutFields } from '../../runbooks/executor.ts';
import { attentionOf } from '../../runbooks/hold.ts';
import type { RunbookStateBase } from '../../runbooks/kind.ts';
import type { ReportSink } from '../../runbooks/ports/report-sink.ts';
import { describePrincipals } from '../../runbooks/principals.ts';
import { isTerminalStatus } from '../../runbooks/status.ts';
import type { CanaryState, Notification, RunbookState } from '../../runbooks/types.ts';
import type { Store } from '../../store/index.ts';
import { advisoryPurpose, approvalPurpose, trainApprovalPurpose } from './approval-purposes.ts';
import { failedStepWords } from './attention-words.ts';
import type { Poster } from './poster.ts';
import { createReportUpload } from './report-upload.ts';
import { chartPurpose, createStageChartPoster } from './stage-charts.ts';

// The engine's notifications as Slack messages. One rollout card per rollout in its service's channel,
// edited as the rollout moves; everything else in the card's thread: one approval request per stage
// (edited when decided), one gate-results message per stage (edited at every tick; when the stage's
// watch ends, its chart is posted and the message links it), the rollback, and a line for each person's
// action. Every message is upserted by (rollout, purpose), so a retried or
// redriven notification edits what it posted before.

export interface SlackNotifierDeps {
  store: Store;
  poster: Poster;
  config: ShiftgateConfig;
  log: Logger;
  /** Where an environment keeps reports beyond Redis. */
  sinks?: (env: string) => Promise<ReportSink | undefined>;
  /** Called once a rollout has ended (App Home history). */
  ended?: (state: RunbookState) => Promise<void>;
}

/** Verdicts that end a stage's watch: its chart is posted then. */
const WATCH_ENDS: ReadonlySet<StageVerdict> = new Set(['pass', 'fail', 'needs-attention', 'inconclusive']);

export function createSlackNotifier(deps: SlackNotifierDeps): Notify {
  const { store, poster, config } = deps;
  const uploadReport = createReportUpload({
    store,
    poster,
    config,
    log: deps.log,
    ...(deps.sinks ? { sinks: deps.sinks } : {}),
  });

  const postChart = createStageChartPoster({ store, poster, log: deps.log });

  const required = (state: RunbookState) => config.environments[state.env]?.approval.required ?? 1;

  const request = (state: CanaryState, stage: number, required: number, expiresAt: string) => {
    const environment = config.environments[state.env];
    return approvalRequest(state, stage, {
      required,
      expiresAt,
      onGateFailure: environment?.rollback.onGateFailure ?? 'automatic',
      // Who may click, and whether the requester's own click counts, shown before anyone tries.
      ...(environment
        ? {
            approvers: describePrincipals(environment.approval.approvers),
            allowSelfApproval: environment.approval.allowSelfApproval,
          }
        : {}),
    });
  };

  /** Who may continue past a failed advisory gate: the approvers of a stage. */
  const advisoryDetails = (state: CanaryState) => {
    const environment = config.environments[state.env];
    return environment
      ? {
          approvers: describePrincipals(environment.approval.approvers),
          allowSelfApproval: environment.approval.allowSelfApproval,
        }
      : {};
  };

  /** Edits the advisory asks of the current stage into what they are now (decided, or no longer asked). */
  async function closeAsks(state: CanaryState): Promise<void> {
    const asks = state.stages[state.stage]?.asks ?? [];
    for (const index of asks.keys()) {
      await poster.update(
        state.id,
        advisoryPurpose(state.stage, index),
        advisoryAskMessage(state, state.stage, index, advisoryDetails(state)),
      );
    }
  }

  /** The card, from the runbook pinned in the record: what the engine runs, whatever the config says now. */
  const card = (state: RunbookState, runbook: unknown) =>
    kindCard(state, runbook, { requiredApprovals: required(state) });

  /** Edits every approval request still open into its decided form. */
  async function closeApprovals(state: CanaryState, why: string): Promise<void> {
    for (const [index, stage] of state.stages.entries()) {
      if (stage.approvalRequestedAt === undefined) continue;
      const approved = stage.approvals.length >= required(state);
      const outcome = approved
        ? ({ kind: 'approved', by: stage.approvals } as const)
        : state.aborted
          ? ({ kind: 'aborted', by: state.aborted.by, at: state.aborted.at } as const)
          : ({ kind: 'superseded', why } as const);
      await poster.update(state.id, approvalPurpose(state, index), approvalDecided(state, index, outcome));
    }
  }

  /**
   * A stage ended without a final verdict of its own (promote-now, an abort or a manual rollback while
   * watching): its chart,
   * and its gate message edited to link it. A stage whose chart went out with its verdict finds it
   * recorded and is only linked again.
   */
  async function chartEnd(state: CanaryState, index: number, thread: { channel: string; threadTs: string }) {
    const stage = state.stages[index];
    const last = stage?.ticks.at(-1);
    if (!stage || !last) return;
    if (await poster.ref(state.id, chartPurpose(index, stage.ticks.length))) return; // posted with its verdict
    const chart = await postChart(state, index, thread);
    if (!chart) return;
    await poster.update(
      state.id,
      `gates:${index}`,
      gateResultsMessage(state, index, {
        phase: 'gates',
        tick: stage.ticks.length,
        results: last,
        ...(stage.verdict ? { verdict: stage.verdict } : {}),
        chart,
      }),
    );
  }

  return async (rolloutId, notification, key) => {
    const record = await store.rollouts.get<RolloutFields>(rolloutId);
    const state = record?.data.state;
    if (!state) return;
    const target = serviceTarget(config, state.service, state.env);
    if (!target) return;
    const root = await poster.upsert(
      rolloutId,
      'card',
      { channel: target.slackChannel },
      card(state, record.data.runbook),
    );
    const thread = { channel: root.channel, threadTs: root.ts };
    // A line of the thread: once per notification (its key), so a redriven step never posts it twice.
    const line = (text: Mrkdwn) =>
      key === undefined
        ? poster.post(thread, message(text, [section(text)]))
        : poster.upsert(
            rolloutId,
            `line:${key}:${notification.kind}`,
            thread,
            message(text, [section(text)]),
          );
    const n: Notification = notification;

    // Admins' freeze overrides, for every kind: the one given at the start with the first line of the
    // thread, a later one when it is applied. One message each (by its index), so a redrive edits it.
    if (n.kind === 'rollout-started' || n.kind === 'freeze-override') {
      const overrides = (state as RunbookStateBase).freezeOverrides ?? [];
      const from = n.kind === 'rollout-started' ? 0 : overrides.length - 1;
      for (const [i, override] of overrides.entries()) {
        if (i < from) continue;
        const text = freezeOverrideLine(override, n.kind === 'rollout-started');
        await poster.upsert(rolloutId, `freeze-override:${i}`, thread, message(text, [section(text)]));
      }
    }

    if (state.kind === 'canary') {
      switch (n.kind) {
        case 'approval-requested':
          await poster.upsert(
            rolloutId,
            approvalPurpose(state, n.stage),
            thread,
            request(state, n.stage, n.required, n.expiresAt),
          );
          break;
        case 'approval-recorded': {
          const purpose = approvalPurpose(state, n.stage);
          const stage = state.stages[n.stage];
          const rendered =
            n.count >= n.required && stage
              ? approvalDecided(state, n.stage, { kind: 'approved', by: stage.approvals })
              : request(state, n.stage, n.required, stage?.approvalExpiresAt ?? '');
          await poster.update(rolloutId, purpose, rendered);
          break;
        }
        case 'preconditions':
          await poster.upsert(
            rolloutId,
            'preconditions',
            thread,
            preconditionsMessage(state, n.results, n.blocking),
          );
          break;
        case 'checks':
          await poster.upsert(
            rolloutId,
            `checks:${n.stage}`,
            thread,
            gateResultsMessage(state, n.stage, { phase: 'checks', results: n.results }),
          );
          break;
        case 'gates': {
          const input = { phase: 'gates' as const, tick: n.tick, results: n.results, verdict: n.verdict };
          await poster.upsert(
            rolloutId,
            `gates:${n.stage}`,
            thread,
            gateResultsMessage(state, n.stage, input),
          );
          // Once a stage (the runbook sets it at one tick only): the window cannot decide at this traffic.
          if (n.cannotDecide) {
            await poster.upsert(
              rolloutId,
              `cannot-decide:${n.stage}`,
              thread,
              cannotDecideMessage(state, n.stage, n.cannotDecide),
            );
          }
          // The watch ends with this verdict: the stage's chart under the message, which then links it.
          if (!WATCH_ENDS.has(n.verdict)) break;
          const chart = await postChart(state, n.stage, thread, n.tick);
          if (chart) {
            await poster.update(
              rolloutId,
              `gates:${n.stage}`,
              gateResultsMessage(state, n.stage, { ...input, chart }),
            );
          }
          break;
        }
        case 'stage-passed':
          // promote-now passes a stage on its one tick ('continue'): its chart comes here.
          await chartEnd(state, n.stage, thread);
          break;
        case 'needs-attention': {
          const attention = attentionOf(state);
          if (attention?.cause === 'approval-expired') {
            const stage = state.stages[state.stage];
            await poster.update(
              rolloutId,
              approvalPurpose(state, state.stage),
              approvalDecided(state, state.stage, {
                kind: 'expired',
                at: stage?.approvalExpiresAt ?? attention.at,
              }),
            );
          }
          if (attention?.cause === 'advisory-failed') {
            // The ask is its own message, with its two buttons: continue, or roll back.
            const asks = state.stages[state.stage]?.asks?.length ?? 0;
            await poster.upsert(
              rolloutId,
              advisoryPurpose(state.stage, asks - 1),
              thread,
              advisoryAskMessage(state, state.stage, asks - 1, advisoryDetails(state)),
            );
            break;
          }
          const words = failedStepWords(state) ?? n.reason;
          await line(md`:warning: ${mention(state.requestedBy)} needs attention: ${words}`);
          // A stuck rollback step, or checks failing after it: the procedure's message says which.
          if (state.rollback) await poster.update(rolloutId, 'rollback', rollingBackMessage(state));
          break;
        }
        case 'rolling-back':
          // A person rolled back while the stage was watched: it ends here (a failing gate charted it).
          await chartEnd(state, state.stage, thread);
          await closeApprovals(state, 'the rollout is rolling back');
          await closeAsks(state);
          await poster.upsert(rolloutId, 'rollback', thread, rollingBackMessage(state));
          break;
        case 'rolled-back':
          await poster.upsert(rolloutId, 'rollback', thread, rollingBackMessage(state));
          break;
        case 'paused':
          await line(md`:double_vertical_bar: Paused by ${mention(n.by)}.`);
          break;
        case 'resumed':
          await closeAsks(state);
          await line(md`:arrow_forward: Resumed by ${mention(n.by)}.`);
          break;
        case 'promote-now':
          await line(
            md`:fast_forward: ${mention(n.by)} promotes now: no more approval waits or watch windows; every stage's gates still run.`,
          );
          break;
        case 'post-promotion': {
          const warm = n.tag ? md` stays warm (tag ${code(n.tag)}) and` : '';
          await line(
            md`:white_check_mark: Promoted: 100 % of traffic on ${code(state.canaryRevision ?? 'the new revision')}. Post-promotion watch for ${humanDuration(n.watchMs)}: ${code(n.previousRevision)}${warm} is where a failing gate rolls back to. ${code(`/canary done ${state.service} ${state.env}`)} ends the watch early.`,
          );
          break;
        }
        case 'watch-ended':
          // An advisory ask open then was answered by it: its buttons go.
          await closeAsks(state);
          await line(
            md`:checkered_flag: ${mention(n.by)} ended the post-promotion watch early${n.reason ? md`: ${n.reason}` : ''}.`,
          );
          break;
        case 'promoted': {
          const p = state.postPromotion;
          const previous = p?.previousRevision;
          const tag = p?.warm?.tag ?? p?.tagAsked ?? '';
          await line(
            previous === undefined
              ? md`:white_check_mark: Promoted: 100 % of traffic on the new revision.`
              : p?.releaseFailed !== undefined
                ? md`:white_check_mark: Done: the post-promotion watch is over. The tag ${code(tag)} could not be removed from ${code(previous)}: ${code(`gcloud run services update-traffic --remove-tags ${tag}`)} removes it.`
                : md`:white_check_mark: Done: the post-promotion watch is over; ${code(previous)} is released.`,
          );
          break;
        }
        case 'aborted':
          // Aborted while watching: the stage ends here, and its chart shows how far it got.
          await chartEnd(state, state.stage, thread);
          await closeApprovals(state, 'the rollout was aborted');
          await closeAsks(state);
          // An abort with traffic ran the rollback procedure: its message ends where it ended.
          if (state.rollback) await poster.update(rolloutId, 'rollback', rollingBackMessage(state));
          await line(md`:no_entry_sign: Aborted by ${mention(n.by)}${n.reason ? md`: ${n.reason}` : ''}.`);
          break;
        case 'failed':
          await closeApprovals(state, 'the rollout failed');
          await closeAsks(state);
          await line(md`:x: Failed: ${n.reason}`);
          break;
        default:
          break;
      }
    } else if (state.kind === 'stream-cutover' || state.kind === 'flag-canary') {
      const environment = config.environments[state.env];
      const details = {
        required: required(state),
        ...(environment
          ? {
              approvers: describePrincipals(environment.approval.approvers),
              allowSelfApproval: environment.approval.allowSelfApproval,
            }
          : {}),
      };
      const index = state.steps.findIndex((st) => st.name === 'approval');
      const cutover = state.kind === 'stream-cutover';
      const approval = () =>
        state.kind === 'stream-cutover'
          ? cutoverApproval(state, index, details)
          : flagApproval(state, index, details);
      const purpose = trainApprovalPurpose(state);
      const what = cutover
        ? 'stream cutover'
        : `flag canary ${state.kind === 'flag-canary' ? state.config : ''}`;
      switch (n.kind) {
        case 'train-step':
          await poster.upsert(
            rolloutId,
            `step:${n.step}`,
            thread,
            state.kind === 'stream-cutover'
              ? cutoverStepMessage(state, n.step)
              : flagStepMessage(state, n.step),
          );
          // Past the approval step: its request loses its buttons.
          if (state.approvalRequests !== undefined) await poster.update(rolloutId, purpose, approval());
          break;
        case 'approval-requested':
          await poster.upsert(rolloutId, purpose, thread, approval());
          break;
        case 'approval-recorded':
          await poster.update(rolloutId, purpose, approval());
          break;
        case 'needs-attention':
          await line(md`:warning: ${mention(state.requestedBy)} the ${what} needs attention: ${n.reason}`);
          break;
        case 'resumed':
          await line(md`:arrow_forward: Resumed by ${mention(n.by)}.`);
          break;
        case 'rolling-back':
          await line(md`:rewind: Rolling back: ${n.reason}`);
          break;
        case 'rolled-back':
          await line(
            state.kind === 'flag-canary' && state.mode === 'off'
              ? md`:white_check_mark: Flags off, read back.`
              : md`:x: CANARY FAILED. Rollback reason: ${state.kind === 'flag-canary' ? (state.rollback?.reason ?? '') : ''}. The flags are back as they were, read back.`,
          );
          break;
        case 'promoted':
          await line(
            cutover
              ? md`:white_check_mark: Stream cutover passed every hard gate.`
              : md`:white_check_mark: CANARY PASSED: the flags stay on.`,
          );
          break;
        case 'aborted':
          await line(md`:no_entry_sign: Aborted by ${mention(n.by)}${n.reason ? md`: ${n.reason}` : ''}.`);
          break;
        case 'failed':
          await line(
            cutover ? md`:x: Stream cutover failed: ${n.reason}` : md`:x: CANARY FAILED: ${n.reason}`,
          );
          break;
        default:
          break;
      }
    } else if (n.kind === 'needs-attention' || n.kind === 'failed') {
      await line(md`:warning: ${mention(state.requestedBy)} the rollback needs attention: ${n.reason}`);
    }
    // The evidence report into the thread, once per rollout (report-upload.ts); it never throws.
    if (isTerminalStatus(state.status)) await uploadReport(state, thread);
    if (isTerminalStatus(state.status) && deps.ended) await deps.ended(state);
  };
}
