import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Child, type ChildExit, startNodeChild } from '../../sandbox/children.ts';
import { CRASH_ENV, type CrashPoint } from '../../src/faults/crash-point.ts';
import { sleep } from './rng.ts';

// The bot replicas: real processes, each started as the sandbox starts its bot (sandbox/bot.ts: the real
// replica, listening on a free loopback port), all on the one Redis. A slot is restarted whenever its
// process ends, unless the run is stopping. Every end is classified:
//   - killed: the harness SIGKILLed it (the random killer);
//   - stopped: the harness stopped it (SIGTERM) to re-arm it;
//   - planned: it was started with SHIFTGATE_CRASH_AT and died by SIGKILL that the harness did not send:
//     it reached its crash point;
//   - crash: anything else (a non-zero exit, a signal nobody sent, an exit 0 nobody asked for).

export interface ReplicaEnd extends ChildExit {
  slot: number;
  at: number;
  how: 'killed' | 'stopped' | 'planned' | 'crash';
  armed?: string;
  logFile: string;
}

interface Slot {
  index: number;
  child?: Child<{ url: string }>;
  armed?: string;
  expect?: 'killed' | 'stopped';
  starting?: Promise<void>;
  /** Resolves when the current process ended (and was classified). */
  ended?: Promise<ReplicaEnd>;
}

const BOT = fileURLToPath(new URL('../../sandbox/bot.ts', import.meta.url));

export class Replicas {
  readonly ends: ReplicaEnd[] = [];
  readonly failedStarts: { slot: number; at: number; why: string }[] = [];
  private readonly slots: Slot[];
  private stopping = false;
  /** Restarts wait while this is set (Redis is down). */
  hold: Promise<void> | undefined;

  private readonly env: NodeJS.ProcessEnv;
  private readonly runDir: string;

  constructor(count: number, env: NodeJS.ProcessEnv, runDir: string) {
    this.env = env;
    this.runDir = runDir;
    this.slots = Array.from({ length: count }, (_, index) => ({ index }));
  }

  logFile(slot: number): string {
    return join(this.runDir, `replica-${slot}.log`);
  }

  async startAll(): Promise<void> {
    await Promise.all(this.slots.map((s) => this.start(s, undefined)));
  }

  /** Live replicas' Slack endpoints; `armed` first when asked for (to steer a request into a crash point). */
  urls(preferArmed?: readonly string[]): string[] {
    const live = this.slots.filter((s) => s.child && !s.expect);
    const armed = live.filter((s) => s.armed && preferArmed?.includes(s.armed.split(':')[0] ?? ''));
    const rest = live.filter((s) => !armed.includes(s));
    return [...armed, ...rest].map((s) => (s.child as Child<{ url: string }>).line.url);
  }

  /** Slots that are up, not armed and not being restarted (for the random killer). */
  killable(): number[] {
    return this.slots.filter((s) => s.child && !s.expect && !s.armed && !s.starting).map((s) => s.index);
  }

  armedSlot(): number | undefined {
    return this.slots.find((s) => s.armed)?.index;
  }

  /** SIGKILL, as the platform kills a replica; it is restarted by its supervisor. */
  kill(slot: number): boolean {
    const s = this.slots[slot];
    if (!s?.child || s.expect) return false;
    s.expect = 'killed';
    process.kill(s.child.pid, 'SIGKILL');
    return true;
  }

  /**
   * Stops the slot's replica gracefully and starts it again with SHIFTGATE_CRASH_AT=`point`. Resolves to
   * the end once it died there (planned) or, after `windowMs`, undefined: it is then restarted unarmed.
   */
  async arm(slot: number, point: string, windowMs: number): Promise<ReplicaEnd | undefined> {
    const s = this.slots[slot];
    if (!s) return undefined;
    await s.starting;
    if (s.child) {
      s.expect = 'stopped';
      s.armed = point; // so the restart after the stop is armed
      const ended = s.ended;
      await s.child.stop();
      await ended;
    } else {
      s.armed = point;
    }
    await s.starting;
    const ended = s.ended;
    if (!ended) return undefined;
    const timer = sleep(windowMs).then(() => undefined);
    const end = await Promise.race([ended, timer]);
    if (end?.how === 'planned') return end;
    // Not reached in time: back to an ordinary replica.
    if (s.armed === point && s.child && !s.expect) {
      s.expect = 'stopped';
      s.armed = undefined;
      const current = s.ended;
      await s.child.stop();
      await current;
      await s.starting;
    }
    s.armed = undefined;
    return undefined;
  }

  private start(s: Slot, armed: string | undefined): Promise<void> {
    const run = async () => {
      for (let attempt = 1; !this.stopping; attempt++) {
        await this.hold;
        const env = { ...this.env, ...(armed ? { [CRASH_ENV]: armed } : {}) };
        try {
          const child = await startNodeChild<{ url: string }>(BOT, [], {
            env,
            logFile: this.logFile(s.index),
            readyTimeoutMs: 30_000,
            graceMs: 10_000,
          });
          s.child = child;
          s.expect = undefined;
          s.ended = child.exited.then((exit) => this.ended(s, exit, armed));
          return;
        } catch (error) {
          // A replica that dies before it serves (its crash point reached at start, Redis gone): again.
          const why = (error as Error).message.split('\n')[0] ?? '';
          this.failedStarts.push({ slot: s.index, at: Date.now(), why });
          if (armed && /SIGKILL/.test(why)) {
            this.ends.push({
              slot: s.index,
              at: Date.now(),
              how: 'planned',
              armed,
              code: null,
              signal: 'SIGKILL',
              stopped: false,
              logFile: this.logFile(s.index),
            });
            s.armed = undefined;
            armed = undefined;
          }
          await sleep(Math.min(2000, 250 * attempt));
        }
      }
    };
    const starting = run().finally(() => {
      if (s.starting === starting) s.starting = undefined;
    });
    s.starting = starting;
    return starting;
  }

  private ended(s: Slot, exit: ChildExit, armed: string | undefined): ReplicaEnd {
    const how: ReplicaEnd['how'] =
      s.expect === 'killed'
        ? 'killed'
        : s.expect === 'stopped' || exit.stopped
          ? 'stopped'
          : armed && exit.signal === 'SIGKILL'
            ? 'planned'
            : 'crash';
    const end: ReplicaEnd = {
      ...exit,
      slot: s.index,
      at: Date.now(),
      how,
      logFile: this.logFile(s.index),
      ...(armed ? { armed } : {}),
    };
    this.ends.push(end);
    s.child = undefined;
    if (how === 'planned' && s.armed === armed) s.armed = undefined;
    if (!this.stopping) void this.start(s, s.armed);
    return end;
  }

  /** Stops every replica (SIGTERM, SIGKILL after the grace). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (s) => {
        await s.starting?.catch(() => {});
        if (s.child) {
          s.expect = 'stopped';
          await s.child.stop();
        }
      }),
    );
  }
}

export type { CrashPoint };
