import { parseArgs } from 'node:util';
import { CRASH_POINTS, type CrashPoint } from '../../src/faults/crash-point.ts';

// The chaos run's knobs, from flags or CHAOS_* environment variables (flags win). `--short` is the CI form:
// about ten rollouts and a deadline of two minutes.

export interface ChaosOptions {
  rollouts: number;
  seed: number;
  /** Rollouts under way at once at most (starts are staggered). */
  concurrency: number;
  /** Mean time between two random SIGKILLs of a replica (each restarted at once); 0: none. */
  killEveryMs: number;
  /** How long a replica armed with SHIFTGATE_CRASH_AT waits to reach its point before it is disarmed. */
  armWindowMs: number;
  /** The targeted points, in the order they are armed. */
  points: CrashPoint[];
  /** SIGKILL Redis once mid-run and restart it from its append-only file. */
  redisKill: boolean;
  /** The whole run ends by then (rollouts still running are reported). */
  deadlineMs: number;
  /** The private redis-server's port (its own, not the tests' 6379). */
  redisPort: number;
  replicas: number;
  short: boolean;
  /** Keep the run folder (logs, config, AOF) when the run passes; it is always kept when it fails. */
  keep: boolean;
}

const USAGE = `npm run chaos -- [--short] [--rollouts N] [--seed S] [--concurrency C] [--kill-every SECONDS]
  [--arm-window SECONDS] [--points p1,p2,...|none] [--no-redis-kill] [--deadline SECONDS] [--redis-port P] [--keep]
Environment: CHAOS_ROLLOUTS, CHAOS_SEED, CHAOS_CONCURRENCY, CHAOS_KILL_EVERY_S, CHAOS_ARM_WINDOW_S,
  CHAOS_POINTS, CHAOS_REDIS_KILL=0, CHAOS_DEADLINE_S, CHAOS_REDIS_PORT, CHAOS_SHORT=1, CHAOS_KEEP=1`;

export function readOptions(argv: string[], env: NodeJS.ProcessEnv): ChaosOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      short: { type: 'boolean' },
      rollouts: { type: 'string' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
      'kill-every': { type: 'string' },
      'arm-window': { type: 'string' },
      points: { type: 'string' },
      'no-redis-kill': { type: 'boolean' },
      deadline: { type: 'string' },
      'redis-port': { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const short = values.short ?? env.CHAOS_SHORT === '1';
  const num = (flag: string | undefined, name: string, fallback: number): number => {
    const text = flag ?? env[name];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name}: expected a number, got ${text}`);
    return value;
  };
  const pointsText = values.points ?? env.CHAOS_POINTS;
  const points =
    pointsText === 'none'
      ? []
      : pointsText
        ? pointsText.split(',').map((p) => p.trim())
        : // The chaos run drives canaries: a point only a flag canary reaches would be armed for nothing.
          CRASH_POINTS.filter((p) => p !== 'after-set-flags');
  for (const p of points) {
    if (!(CRASH_POINTS as readonly string[]).includes(p)) {
      throw new Error(`unknown crash point ${p}: expected one of ${CRASH_POINTS.join(', ')}`);
    }
  }
  return {
    short,
    rollouts: Math.max(1, Math.floor(num(values.rollouts, 'CHAOS_ROLLOUTS', short ? 10 : 50))),
    seed: Math.floor(num(values.seed, 'CHAOS_SEED', 1)),
    concurrency: Math.max(1, Math.floor(num(values.concurrency, 'CHAOS_CONCURRENCY', short ? 10 : 12))),
    killEveryMs: num(values['kill-every'], 'CHAOS_KILL_EVERY_S', short ? 6 : 5) * 1000,
    armWindowMs: num(values['arm-window'], 'CHAOS_ARM_WINDOW_S', short ? 6 : 15) * 1000,
    points: points as CrashPoint[],
    redisKill: !(values['no-redis-kill'] ?? env.CHAOS_REDIS_KILL === '0'),
    deadlineMs: num(values.deadline, 'CHAOS_DEADLINE_S', short ? 120 : 600) * 1000,
    redisPort: Math.floor(num(values['redis-port'], 'CHAOS_REDIS_PORT', 6391)),
    replicas: 3,
    keep: values.keep ?? env.CHAOS_KEEP === '1',
  };
}
