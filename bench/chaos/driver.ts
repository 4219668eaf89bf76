import type { SlackTwin, TwinMessage } from '../../sandbox/twins/slack/index.ts';
import { blockActionsBody, sendToBot, slashCommandBody } from '../../sandbox/twins/slack/sign.ts';
import { ACTIONS } from '../../src/blocks/actions.ts';
import { isTerminalStatus } from '../../src/runbooks/status.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import type { Store } from '../../src/store/index.ts';
import type { Replicas } from './replicas.ts';
import { sleep } from './rng.ts';
import { APPROVER, CHANNEL, ENV, REQUESTER } from './world.ts';

// One rollout driven as people would drive it through Slack: `/canary start` to some replica, then every
// approval request in the card's thread clicked (Approve, or Abort at the stage the plan says) on whichever
// replica is up, clicked again when nothing happened after a while (as a person does when a click is lost
// with a dying replica). Requests are signed as Slack signs them and sent with Slack's 3-second timeout.
// The driver only reads Redis to learn the rollout's id and status, never to change anything.

export type Plan = { kind: 'promote' } | { kind: 'abort'; atStage: number } | { kind: 'bad' };

export interface Driven {
  service: string;
  tag: string;
  plan: Plan;
  rolloutId?: string;
  /** Why it was given up before the end, if it was. */
  gaveUp?: string;
  startAttempts: number;
  clicks: number;
  startedAt?: number;
  endedAt?: number;
  status?: string;
}

interface Deps {
  slack: SlackTwin;
  store: Store;
  replicas: Replicas;
  signingSecret: string;
  deadline: number;
}

const RECLICK_MS = 8_000;
const START_ANSWER_MS = 8_000;

type Button = { action_id?: string; value?: string };
const buttonsOf = (m: { blocks?: unknown[] } | undefined): Button[] =>
  ((m?.blocks ?? []) as { elements?: Button[]; accessory?: Button }[]).flatMap((b) => [
    ...(b.elements ?? []),
    ...(b.accessory ? [b.accessory] : []),
  ]);

/** POSTs to a live replica (the armed one first when `prefer` names its point); false if none took it. */
async function toSomeReplica(deps: Deps, body: string, prefer?: readonly string[]): Promise<boolean> {
  for (const url of deps.replicas.urls(prefer)) {
    try {
      const response = await sendToBot(url, deps.signingSecret, body, { timeoutMs: 3000 });
      await response.text();
      if (response.status === 200) return true;
    } catch {
      // that one is down or slow: the next
    }
  }
  return false;
}

async function lockHolder(store: Store, service: string): Promise<string | undefined> {
  return (await store.redis.hget(store.keys.lock(service, ENV), 'rolloutId')) ?? undefined;
}

async function stateOf(store: Store, id: string): Promise<CanaryState | undefined> {
  const record = await store.rollouts.get<{ state: CanaryState }>(id);
  return record?.data.state;
}

/** How long a start is retried while replicas die and Redis restarts under it. */
const START_PATIENCE_MS = 60_000;

async function start(deps: Deps, run: Driven): Promise<void> {
  const { slack, store } = deps;
  const channel = slack.channelId(CHANNEL);
  // A person whose /canary start met a dying replica or Redis restarting types it again; for a minute.
  const giveUpAt = Math.min(deps.deadline, Date.now() + START_PATIENCE_MS);
  while (run.startAttempts < 12 && Date.now() < giveUpAt) {
    run.startAttempts += 1;
    const responseUrl = slack.responseUrl(REQUESTER, channel);
    const body = slashCommandBody({
      command: '/canary',
      text: `start ${run.service} ${run.tag} ${ENV}`,
      userId: REQUESTER,
      channelId: channel,
      channelName: CHANNEL.slice(1),
      responseUrl,
    });
    run.startedAt ??= Date.now();
    const taken = await toSomeReplica(deps, body, ['after-lock-acquire', 'after-record-create']);
    const until = Date.now() + START_ANSWER_MS;
    while (taken && Date.now() < until) {
      const text = slack.responses(responseUrl)[0]?.text;
      const id = text ? /`([^`]+)`/.exec(text)?.[1] : undefined;
      if (text && id && /Started/i.test(text)) {
        run.rolloutId = id;
        return;
      }
      if (text) break; // refused: see who holds the lock
      await sleep(200);
    }
    // No answer (the replica died with it) or a refusal: the lock says whether this start got through.
    try {
      const holder = await lockHolder(store, run.service);
      if (holder) {
        const state = await stateOf(store, holder).catch(() => undefined);
        if (state?.tag === run.tag) {
          run.rolloutId = holder;
          return;
        }
        if (!state) {
          // Wait a moment: the record may follow its lock.
          await sleep(2000);
          const later = await stateOf(store, holder).catch(() => undefined);
          if (later?.tag === run.tag) {
            run.rolloutId = holder;
            return;
          }
          if (!later) {
            run.gaveUp = `start refused: the lock is held for rollout ${holder}, which does not exist`;
            return;
          }
        }
      }
    } catch {
      // Redis is down for a moment: try again
    }
    await sleep(1000);
  }
  run.gaveUp ??= `no rollout after ${run.startAttempts} /canary start attempts`;
}

export async function drive(deps: Deps, run: Driven): Promise<void> {
  const { slack, store } = deps;
  await start(deps, run);
  const id = run.rolloutId;
  if (!id) return;
  const clicked = new Map<string, number>();
  while (Date.now() < deps.deadline) {
    await sleep(300);
    let state: CanaryState | undefined;
    let card: string | null = null;
    try {
      state = await stateOf(store, id);
      card = await store.redis.hget(store.keys.slackMessages(id), 'card');
    } catch {
      continue; // Redis down
    }
    if (!state) continue;
    run.status = state.status;
    if (isTerminalStatus(state.status)) {
      run.endedAt = Date.now();
      return;
    }
    if (state.status !== 'awaiting-approval' || !card) continue;
    const [channel, ts] = card.split(' ') as [string, string];
    const stage = state.stage;
    const request = slack.thread(channel, ts).find((m) =>
      buttonsOf(m).some((b) => {
        if (b.action_id !== ACTIONS.approve) return false;
        const value = JSON.parse(b.value ?? '{}') as { r?: string; s?: number };
        return value.r === id && value.s === stage;
      }),
    );
    if (!request) continue;
    const key = `${stage}:${request.ts}`;
    if (Date.now() - (clicked.get(key) ?? 0) < RECLICK_MS) continue;
    clicked.set(key, Date.now());
    const abort = run.plan.kind === 'abort' && run.plan.atStage === stage;
    await click(deps, request, abort ? ACTIONS.approvalAbort : ACTIONS.approve, abort ? REQUESTER : APPROVER);
    run.clicks += 1;
  }
}

async function click(deps: Deps, message: TwinMessage, actionId: string, user: string): Promise<void> {
  const button = buttonsOf(message).find((b) => b.action_id === actionId);
  if (!button) return;
  const body = blockActionsBody({
    userId: user,
    channelId: message.channel,
    messageTs: message.ts,
    actionId,
    value: button.value ?? '',
    responseUrl: deps.slack.responseUrl(user, message.channel, message.ts),
    message,
    ...(message.thread_ts ? { threadTs: message.thread_ts } : {}),
  });
  await toSomeReplica(deps, body, ['after-approval']);
}
