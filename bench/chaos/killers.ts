import type { Driven } from './driver.ts';
import type { ChaosOptions } from './options.ts';
import type { ChaosRedis } from './redis.ts';
import type { Replicas } from './replicas.ts';
import { type Rng, sleep } from './rng.ts';

// Three killers, side by side:
//   - random: every few seconds (uniform around the mean) one replica, neither armed nor restarting, is
//     SIGKILLed; its supervisor restarts it at once;
//   - targeted: each crash point in turn, one replica is stopped and restarted with
//     SHIFTGATE_CRASH_AT=<point>[:n]; it dies there or, after the arm window, is counted "not reached"
//     and restarted unarmed. Requests that can reach a start or an approval point are steered to it;
//   - Redis: once half the rollouts have started (or a third of the deadline passed), SIGKILL and a restart from the append-only file after
//     ~1.5 s; replicas are neither killed nor restarted meanwhile.

export interface PointResult {
  point: string;
  slot: number;
  armedAt: number;
  reachedAt?: number;
}

export interface Killers {
  randomKills: { slot: number; at: number }[];
  points: PointResult[];
  redisOutage?: { downAt: number; upAt: number };
  stop(): Promise<void>;
}

export function startKillers(deps: {
  options: ChaosOptions;
  replicas: Replicas;
  redis: ChaosRedis;
  rng: Rng;
  log: (line: string) => void;
  runs: Driven[];
}): Killers {
  const { options, replicas, redis, rng, log } = deps;
  let stopped = false;
  let redisDown: Promise<void> | undefined;
  const killers: Killers = { randomKills: [], points: [], stop: async () => {} };

  const random = (async () => {
    if (options.killEveryMs <= 0) return;
    while (!stopped) {
      await sleep(options.killEveryMs * (0.5 + rng.next()));
      if (stopped) return;
      await redisDown;
      const slot = rng.pick(replicas.killable());
      if (slot === undefined) continue;
      if (replicas.kill(slot)) {
        killers.randomKills.push({ slot, at: Date.now() });
        log(`SIGKILL replica ${slot}`);
      }
    }
  })();

  const targeted = (async () => {
    for (const point of options.points) {
      await sleep(2000);
      if (stopped) return;
      await redisDown;
      // The n-th pass, for points every step passes: not always the first step of a rollout.
      const nth = point === 'after-transition' || point === 'after-slack-post' ? 1 + rng.int(3) : 1;
      const setting = nth > 1 ? `${point}:${nth}` : point;
      const slot = rng.int(options.replicas);
      const result: PointResult = { point: setting, slot, armedAt: Date.now() };
      killers.points.push(result);
      log(`arming replica ${slot} with SHIFTGATE_CRASH_AT=${setting}`);
      const end = await replicas.arm(slot, setting, options.armWindowMs);
      if (end) {
        result.reachedAt = end.at;
        log(`replica ${slot} died at ${setting}, as planned`);
      } else log(`replica ${slot} did not reach ${setting} within ${options.armWindowMs / 1000} s`);
    }
  })();

  const redisKill = (async () => {
    if (!options.redisKill) return;
    // Half the rollouts started, or a third of the deadline gone (stuck rollouts hold their lanes).
    const latest = Date.now() + options.deadlineMs / 3;
    while (
      !stopped &&
      Date.now() < latest &&
      deps.runs.filter((r) => r.startedAt).length < Math.ceil(deps.runs.length / 2)
    ) {
      await sleep(250);
    }
    await sleep(1000 + rng.int(2000));
    if (stopped) return;
    let release = () => {};
    redisDown = new Promise<void>((resolve) => {
      release = resolve;
    });
    replicas.hold = redisDown;
    log('SIGKILL redis-server');
    try {
      killers.redisOutage = await redis.killAndRestart(1500);
      log('redis-server restarted from its append-only file');
    } finally {
      replicas.hold = undefined;
      redisDown = undefined;
      release();
    }
  })();

  killers.stop = async () => {
    stopped = true;
    await Promise.all([random, targeted, redisKill]);
  };
  return killers;
}
