import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TwinMessage } from '../../sandbox/twins/slack/index.ts';
import { isTerminalStatus } from '../../src/runbooks/status.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import type { Store } from '../../src/store/index.ts';
import type { Driven } from './driver.ts';
import type { Killers } from './killers.ts';
import type { ChaosOptions } from './options.ts';
import type { Replicas } from './replicas.ts';
import { sleep } from './rng.ts';
import { judgeTraffic } from './traffic-judge.ts';
import { CHANNEL, ENV, PROJECT, REGION, STAGE_PERCENTS, type World } from './world.ts';

// What the run is judged on, after the last rollout ended and its effects had time to land:
//   traffic      per service, from what Cloud Run served (history.ts): each change one step of the stage
//                list in order (5, 25, 50, 100) or the one return to the stable revision, none applied
//                twice, none skipped, nothing after the return; one deploy; the final split is the one
//                the rollout's final state says (promoted: the canary 100 %, otherwise the stable).
//   terminal     every rollout driven reached a terminal status; nothing left in the active index.
//   locks        no deploy lock left (every rollout has ended, so any lock is an orphan).
//   slack once   no message of a rollout posted twice: one card per service in the channel; in its
//                thread no two bot messages whose first version reads the same; one report upload.
//   slack never  a card for every rollout, a report (summary.json in the thread) for every ended one.
//   log errors   no ERROR/CRITICAL line (or unstructured error output) in the replicas' logs outside the
//                Redis outage (those during it are listed, not counted).
//   crashes      no replica ended other than by the harness' kills and stops or at its armed crash point.
// Crash points that were armed but never reached are listed (not a failure: the step may not have come
// by the armed replica in its window, or the point may not be placed in src yet).

export interface Row {
  check: string;
  failures: string[];
  /** Said beside the result, failing or not. */
  note?: string;
}

export interface Report {
  rows: Row[];
  runs: Driven[];
  killers: Killers;
  replicas: Replicas;
  errors?: Row;
  scanLogs(): Promise<Row>;
}

interface Snapshot {
  state?: CanaryState;
  refs: Record<string, string>;
}

const short = (text: string, n = 70) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

async function settle(store: Store, runs: Driven[], ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const locks = await store.redis.keys(`${store.keys.prefix}lock:*`);
      const active = await store.redis.scard(store.keys.activeRolloutsAll());
      let reports = true;
      for (const run of runs) {
        if (!run.rolloutId || !run.status || !isTerminalStatus(run.status)) continue;
        if (!(await store.redis.hexists(store.keys.slackMessages(run.rolloutId), 'report'))) reports = false;
      }
      if (locks.length === 0 && active === 0 && reports) return;
    } catch {
      // Redis not answering yet
    }
    await sleep(500);
  }
}

export async function collect(input: {
  world: World;
  store: Store;
  replicas: Replicas;
  runs: Driven[];
  killers: Killers;
  settleMs: number;
  t0: number;
}): Promise<Report> {
  const { world, store, runs, killers, replicas } = input;
  await settle(store, runs, input.settleMs);
  const snapshots = new Map<string, Snapshot>();
  for (const run of runs) {
    if (!run.rolloutId) continue;
    const record = await store.rollouts.get<{ state: CanaryState }>(run.rolloutId);
    const refs = await store.redis.hgetall(store.keys.slackMessages(run.rolloutId));
    snapshots.set(run.service, { ...(record ? { state: record.data.state } : {}), refs });
    if (record) run.status = record.data.state.status;
  }

  const traffic: string[] = [];
  const deploys: string[] = [];
  for (const run of runs) {
    const state = snapshots.get(run.service)?.state;
    const view = world.cloudRun.service({ project: PROJECT, region: REGION, service: run.service });
    const served = world.history.served.get(run.service) ?? [];
    const created = world.history.deploys.get(run.service) ?? [];
    if (created.length > 1) {
      deploys.push(
        `${run.service}: ${created.length} revisions deployed (${created.map((d) => d.revision).join(', ')})`,
      );
    }
    if (!state) {
      if (served.length > 0) traffic.push(`${run.service}: traffic changed with no rollout record`);
      continue;
    }
    traffic.push(...judgeTraffic(run.service, served, state, view.split, STAGE_PERCENTS));
  }

  const terminal: string[] = [];
  for (const run of runs) {
    if (!run.rolloutId) terminal.push(`${run.service}: ${run.gaveUp ?? 'never started'}`);
    else if (!run.status || !isTerminalStatus(run.status)) {
      terminal.push(`${run.service} [${run.rolloutId}]: still ${run.status ?? 'without a record'}`);
    }
  }
  const active = await store.redis.smembers(store.keys.activeRolloutsAll());
  const driven = new Set(runs.map((r) => r.rolloutId));
  for (const id of active) {
    if (!driven.has(id)) terminal.push(`${id}: active, and no driver started it`);
  }

  const locks: string[] = [];
  for (const key of await store.redis.keys(`${store.keys.prefix}lock:*`)) {
    const holder = await store.redis.hgetall(key);
    const record = holder.rolloutId ? await store.rollouts.get(holder.rolloutId) : undefined;
    locks.push(
      `${key.slice(store.keys.prefix.length)} held for ${holder.rolloutId ?? '?'} (${record ? record.status : 'no such rollout'})`,
    );
  }

  const { once, never } = slackChecks(world, runs, snapshots);

  const rows: Row[] = [
    { check: 'traffic: order, twice, skipped, final split', failures: traffic },
    { check: 'deploys: one revision per rollout', failures: deploys },
    { check: 'rollouts ended (terminal)', failures: terminal },
    { check: 'orphan locks', failures: locks },
    { check: 'Slack: posted twice', failures: once },
    { check: 'Slack: never posted (card, report)', failures: never },
  ];
  const crashes = replicas.ends
    .filter((e) => e.how === 'crash')
    .map(
      (e) =>
        `replica ${e.slot} at +${((e.at - input.t0) / 1000).toFixed(1)} s: ${e.signal ?? `exit ${e.code}`}${e.armed ? ` (armed ${e.armed})` : ''}`,
    );
  rows.push({ check: 'crashes other than the planned kills', failures: crashes });

  return {
    rows,
    runs,
    killers,
    replicas,
    scanLogs: () => scanLogs(replicas, killers),
  };
}

function slackChecks(world: World, runs: Driven[], snapshots: Map<string, Snapshot>) {
  const { slack } = world;
  const channel = slack.channelId(CHANNEL);
  const bot = slack.botUserId;
  const first = (m: TwinMessage) => m.history[0]?.text ?? m.text;
  const top = slack.channel(channel).filter((m) => m.user === bot);
  const files = slack.files();
  const once: string[] = [];
  const never: string[] = [];
  for (const run of runs) {
    if (!run.rolloutId) continue;
    const snap = snapshots.get(run.service);
    const card = snap?.refs.card?.split(' ')[1];
    const cards = top.filter(
      (m) => new RegExp(`\\b${run.service}\\b`).test(first(m)) && first(m).includes(run.tag),
    );
    if (cards.length > 1) once.push(`${run.service}: ${cards.length} cards in ${CHANNEL}`);
    if (!card || !slack.message(channel, card)) {
      never.push(`${run.service} [${run.rolloutId}]: no card`);
      continue;
    }
    const thread = slack.thread(channel, card).filter((m) => m.user === bot);
    const byText = new Map<string, number>();
    for (const m of thread) byText.set(first(m), (byText.get(first(m)) ?? 0) + 1);
    for (const [text, count] of byText) {
      if (count > 1) once.push(`${run.service}: ${count}× in the thread: "${short(text)}"`);
    }
    const reports = files.filter((f) => f.thread_ts === card && f.name === 'summary.json');
    if (reports.length > 1) once.push(`${run.service}: the report uploaded ${reports.length} times`);
    if (run.status && isTerminalStatus(run.status) && reports.length === 0) {
      never.push(`${run.service} [${run.rolloutId}]: ${run.status}, no report in the thread`);
    }
  }
  return { once, never };
}

async function scanLogs(replicas: Replicas, killers: Killers): Promise<Row> {
  const outage = killers.redisOutage;
  const duringOutage = (at: number) =>
    outage !== undefined && at >= outage.downAt - 1000 && at <= outage.upAt + 10_000;
  const counted = new Map<string, number>();
  const excused = new Map<string, number>();
  const slots = new Set(replicas.ends.map((e) => e.slot).concat([0, 1, 2]));
  for (const slot of slots) {
    const text = await readFile(replicas.logFile(slot), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let message: string | undefined;
      let at = Number.NaN;
      try {
        const entry = JSON.parse(line) as {
          severity?: string;
          message?: string;
          time?: string;
          err?: { message?: string };
          error?: unknown;
        };
        if (entry.severity !== 'ERROR' && entry.severity !== 'CRITICAL') continue;
        const detail = entry.err?.message ?? (typeof entry.error === 'string' ? entry.error : '');
        message = `${entry.severity} ${entry.message ?? ''}${detail ? `: ${detail}` : ''}`;
        at = entry.time ? Date.parse(entry.time) : Number.NaN;
      } catch {
        if (!/error|unhandled|exception|fatal/i.test(line)) continue;
        message = line;
      }
      const key = `replica ${slot}: ${short(message, 110)}`;
      const into = Number.isFinite(at) && duringOutage(at) ? excused : counted;
      into.set(key, (into.get(key) ?? 0) + 1);
    }
  }
  const failures = [...counted].map(([k, n]) => `${n}× ${k}`);
  const excusedCount = [...excused.values()].reduce((a, b) => a + b, 0);
  return {
    check: "error lines in the replicas' logs",
    failures,
    ...(excusedCount > 0
      ? {
          note: `${excusedCount} more during the Redis outage, not counted: ${[...excused].map(([k, n]) => `${n}× ${k}`).join('; ')}`,
        }
      : {}),
  };
}

export function printReport(
  report: Report,
  context: { options: ChaosOptions; runDir: string; seconds: number },
): number {
  const rows = [...report.rows, ...(report.errors ? [report.errors] : [])];
  const width = Math.max(...rows.map((r) => r.check.length));
  console.log('\nchaos: results');
  console.log(`${'check'.padEnd(width)}  result`);
  console.log(`${'-'.repeat(width)}  ${'-'.repeat(40)}`);
  for (const row of rows) {
    const result = row.failures.length === 0 ? 'ok' : `FAIL (${row.failures.length})`;
    console.log(`${row.check.padEnd(width)}  ${result}`);
    for (const f of row.failures.slice(0, 12)) console.log(`${' '.repeat(width)}    - ${f}`);
    if (row.failures.length > 12) console.log(`${' '.repeat(width)}    - … ${row.failures.length - 12} more`);
    if (row.note) console.log(`${' '.repeat(width)}    (${row.note})`);
  }
  const { runs, killers, replicas } = report;
  const count = (f: (r: Driven) => boolean) => runs.filter(f).length;
  const planned = replicas.ends.filter((e) => e.how === 'planned').length;
  console.log('');
  console.log(
    `rollouts: ${runs.length} (planned: ${count((r) => r.plan.kind === 'promote')} promote, ${count((r) => r.plan.kind === 'abort')} abort, ${count((r) => r.plan.kind === 'bad')} bad build); ` +
      `ended: ${['promoted', 'aborted', 'rolled-back', 'failed'].map((s) => `${count((r) => r.status === s)} ${s}`).join(', ')}`,
  );
  const durations = runs
    .filter((r) => r.startedAt && r.endedAt)
    .map((r) => ((r.endedAt ?? 0) - (r.startedAt ?? 0)) / 1000);
  durations.sort((a, b) => a - b);
  if (durations.length > 0) {
    const p = (q: number) =>
      durations[Math.min(durations.length - 1, Math.floor(q * durations.length))]?.toFixed(0);
    console.log(`rollout time (start to terminal): median ${p(0.5)} s, p90 ${p(0.9)} s, max ${p(1)} s`);
  }
  console.log(
    `kills: ${killers.randomKills.length} random SIGKILLs, ${planned} replicas died at their crash point, ` +
      `Redis ${killers.redisOutage ? `SIGKILLed and back after ${((killers.redisOutage.upAt - killers.redisOutage.downAt) / 1000).toFixed(1)} s` : 'not killed'}`,
  );
  const reached = killers.points.filter((p) => p.reachedAt);
  const missed = killers.points.filter((p) => !p.reachedAt);
  console.log(
    `crash points: ${reached.length} of ${killers.points.length} armed were reached` +
      (reached.length ? ` (${reached.map((p) => p.point).join(', ')})` : '') +
      (missed.length ? `; NOT reached: ${missed.map((p) => p.point).join(', ')}` : ''),
  );
  const failed = rows.filter((r) => r.failures.length > 0).length;
  console.log(
    `chaos: ${failed === 0 ? 'PASS' : `FAIL (${failed} of ${rows.length} checks)`} in ${context.seconds.toFixed(0)} s, seed ${context.options.seed}, ${ENV}`,
  );
  return failed === 0 ? 0 : 1;
}

/** The channel with its threads and every served split, into the run folder, to read a failure from. */
export async function dumpEvidence(runDir: string, world: World): Promise<void> {
  const channel = world.slack.channelId(CHANNEL);
  const messages = world.slack.channel(channel).map((m) => ({
    ts: m.ts,
    text: m.text,
    edits: m.edits,
    replies: world.slack
      .thread(channel, m.ts)
      .map((r) => ({ ts: r.ts, first: r.history[0]?.text ?? r.text, text: r.text, edits: r.edits })),
  }));
  await writeFile(join(runDir, 'slack.json'), JSON.stringify(messages, null, 1));
  const served = Object.fromEntries(world.history.served);
  const deploys = Object.fromEntries(world.history.deploys);
  await writeFile(join(runDir, 'cloud-run.json'), JSON.stringify({ served, deploys }, null, 1));
}
