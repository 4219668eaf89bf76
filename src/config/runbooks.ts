import { z } from 'zod';
import { duration } from './duration.ts';
import { flagCanaryRunbook } from './flags.ts';
import { fastSignalOf, type Gate, type PinnedModes } from './gates.ts';
import { name } from './names.ts';
import { POST_PROMOTION_STAGE, postPromotion } from './post-promotion.ts';

// A runbook is data: its stages, their gates and approvals. The engine (src/runbooks) interprets it.

const gateNames = z.array(name).default([]);

const stageName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, {
  error: 'expected a short stage name of letters, digits, dashes and underscores, like "A" or "canary-5"',
});

export const stage = z
  .strictObject({
    name: stageName,
    description: z.string().optional(),
    traffic: z
      .int()
      .min(0)
      .max(100)
      .meta({ description: 'Percent of traffic on the canary during this stage' }),
    approval: z.boolean().optional().meta({
      description: 'Ask for approval before this stage; defaults to true for every traffic increase',
    }),
    watch: duration
      .prefault('0s')
      .meta({ description: 'How long the gates are watched before the next stage' }),
    interval: duration
      .prefault('1m')
      .meta({ description: 'How often the gates run during the watch window' }),
    checks: gateNames.meta({
      description: 'Gates run once when the stage begins (smoke and post-stage checklist)',
    }),
    gates: gateNames.meta({ description: 'Go/no-go gates run every interval through the watch window' }),
  })
  .superRefine((s, ctx) => {
    if (s.watch > 0 && s.interval > s.watch) {
      ctx.addIssue({
        code: 'custom',
        path: ['interval'],
        message: 'must not be longer than the watch window',
      });
    }
    if (s.watch > 0 && s.interval === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['interval'],
        message: 'must be longer than 0s when there is a watch window',
      });
    }
    if (s.gates.length > 0 && s.watch === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['watch'],
        message: 'a stage with gates needs a watch window, e.g. "10m"',
      });
    }
  });
/**
 * Pinned by shiftgate when a rollout starts, never written in the YAML: the stage's gates with a fast
 * signal (the error-rate gate reading request logs) and how often to read them between its ticks.
 */
export interface FastTicks {
  gates: string[];
  interval: number;
}
export type Stage = z.infer<typeof stage> & { fast?: FastTicks };

export const judge = z
  .strictObject({
    failureLimit: z.int().min(0).default(1).meta({
      description: 'Failed ticks tolerated in a stage; one more rolls back (0: the first failure rolls back)',
    }),
    alpha: z
      .number()
      .gt(0)
      .max(0.2)
      .default(0.01)
      .meta({ description: 'False-alarm rate of the sequential error-count test' }),
    dataWait: duration.prefault('6m').meta({
      description:
        "After a stage's watch window, how long to wait for late metric data to cover it (Cloud Monitoring: up to 4 min); then the stage is inconclusive and a person decides",
    }),
  })
  .prefault({});

export const canaryRunbook = z
  .strictObject({
    kind: z.literal('canary'),
    description: z.string().optional(),
    stages: z.array(stage).min(2, { error: 'expected at least two stages: a no-traffic deploy and 100 %' }),
    judge,
    rollback: z
      .strictObject({
        routeOverride: z.string().min(1).optional().meta({
          description: 'Route-split target to override to first, e.g. legacy (where the service has one)',
        }),
        checks: gateNames.meta({ description: 'Gates run on the stable revision after the rollback' }),
      })
      .prefault({}),
    postPromotion: postPromotion.optional(),
  })
  .superRefine((runbook, ctx) => {
    const seen = new Set<string>();
    runbook.stages.forEach((s, i) => {
      if (seen.has(s.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'name'],
          message: `stage name "${s.name}" is used twice`,
        });
      }
      seen.add(s.name);
      const previous = runbook.stages[i - 1];
      if (previous && s.traffic <= previous.traffic) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'traffic'],
          message: `must be more than the previous stage's ${previous.traffic} %`,
        });
      }
    });
    if (runbook.stages[0]?.traffic !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', 0, 'traffic'],
        message: 'the first stage deploys the revision with no traffic: expected 0',
      });
    }
    const last = runbook.stages.length - 1;
    if (runbook.stages[last] && runbook.stages[last].traffic !== 100) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', last, 'traffic'],
        message: 'the last stage promotes: expected 100',
      });
    }
    checkPostPromotion(runbook, (path, message) => ctx.addIssue({ code: 'custom', path, message }));
  });
export type CanaryRunbook = Omit<z.infer<typeof canaryRunbook>, 'stages'> & {
  stages: Stage[];
  /**
   * Pinned by shiftgate when a rollout starts, never written in the YAML: the gates whose mode is not
   * enforce (shadow, advisory), so a config reload does not change how a running canary acts on them.
   * Absent (records pinned before modes existed): every gate enforces.
   */
  gateModes?: PinnedModes;
};

/** The runbook with the modes of its checks and gates pinned (only those other than enforce). */
export function withGateModes(runbook: CanaryRunbook, gates: Record<string, Gate>): CanaryRunbook {
  const { gateModes: _pinned, ...plain } = runbook;
  const modes: PinnedModes = {};
  // The post-promotion stage's gates too: one named only there keeps its mode.
  const post = stageAt(runbook, runbook.stages.length);
  for (const stage of post === undefined ? runbook.stages : [...runbook.stages, post]) {
    for (const name of [...stage.checks, ...stage.gates]) {
      const mode = gates[name]?.mode ?? 'enforce';
      if (mode !== 'enforce') modes[name] = mode;
    }
  }
  return Object.keys(modes).length === 0 ? plain : { ...plain, gateModes: modes };
}

type Issue = (path: (string | number)[], message: string) => void;

/** The post-promotion stage must have gates to watch, a name of its own, and an interval within its watch. */
function checkPostPromotion(runbook: z.infer<typeof canaryRunbook>, issue: Issue): void {
  const post = runbook.postPromotion;
  if (post === undefined) return;
  runbook.stages.forEach((s, i) => {
    if (s.name === POST_PROMOTION_STAGE)
      issue(
        ['stages', i, 'name'],
        `"${POST_PROMOTION_STAGE}" is the name of the stage after 100 %: rename this one`,
      );
  });
  const last = runbook.stages.at(-1);
  if (post.gates === undefined && (last?.gates.length ?? 0) === 0) {
    issue(
      ['postPromotion', 'gates'],
      'the last stage has no gates to watch after promotion: name the gates, e.g. [error-rate, latency-p95]',
    );
  }
  if (post.gates !== undefined && post.gates.length === 0) {
    issue(['postPromotion', 'gates'], 'a watch with no gates watches nothing: name at least one gate');
  }
  const interval = post.interval ?? last?.interval ?? 60_000;
  if (post.interval === undefined && interval > post.watch) {
    issue(
      ['postPromotion', 'interval'],
      `the last stage's interval (${interval / 1000}s) is longer than the watch: set an interval`,
    );
  }
}

/**
 * The stage at `index` as the engine runs it: one of the runbook's stages, or, one past the last, the
 * post-promotion stage the runbook's `postPromotion` describes (gates and interval default to the last
 * stage's). Undefined past both.
 */
export function stageAt(runbook: CanaryRunbook, index: number): Stage | undefined {
  const stage = runbook.stages[index];
  if (stage !== undefined || index !== runbook.stages.length) return stage;
  const post = runbook.postPromotion;
  if (post === undefined) return undefined;
  const last = runbook.stages.at(-1);
  return {
    name: POST_PROMOTION_STAGE,
    traffic: 100,
    approval: false,
    watch: post.watch,
    interval: post.interval ?? last?.interval ?? 60_000,
    checks: [],
    gates: post.gates ?? last?.gates ?? [],
  };
}

/** How many stages a rollout of this runbook walks: its stages, and the post-promotion one if any. */
export function stageCount(runbook: CanaryRunbook): number {
  return runbook.stages.length + (runbook.postPromotion === undefined ? 0 : 1);
}

/**
 * The runbook with each watched stage's fast ticks pinned: the gates with a fast signal, read at the
 * shortest of their intervals when that is shorter than the stage's own interval, on stages that split
 * traffic between canary and stable.
 */
export function withFastTicks(runbook: CanaryRunbook, gates: Record<string, Gate>): CanaryRunbook {
  return {
    ...runbook,
    stages: runbook.stages.map((s) => {
      const { fast: _pinned, ...plain } = s;
      const signals = s.gates.flatMap((name) => {
        const gate = gates[name];
        const signal = gate ? fastSignalOf(gate) : undefined;
        return signal ? [{ name, interval: signal.interval }] : [];
      });
      const interval = Math.min(...signals.map((g) => g.interval));
      // At 0 % or 100 % there is no second revision to compare with: the signal has nothing to say.
      const compared = s.traffic > 0 && s.traffic < 100;
      if (signals.length === 0 || !compared || s.watch === 0 || interval >= s.interval) return plain;
      return { ...plain, fast: { gates: signals.map((g) => g.name), interval } };
    }),
  };
}

// The production stream cutover of seed 004: one train of stream contract smokes, the route flip, a
// canary rollback drill, an optional dual-run against the legacy stack, and hard gates at the end.
const maxFailures = (what: string) =>
  z
    .int()
    .min(0)
    .default(0)
    .meta({ description: `Most ${what} the train tolerates (seed 004 default 0)` });

export const streamCutoverRunbook = z.strictObject({
  kind: z.literal('stream-cutover'),
  description: z.string().optional(),
  smokes: z.array(name).min(1, { error: 'expected the sse-contract gates of the stream aliases' }).meta({
    description:
      'sse-contract gates run before and after the route flip, one per stream alias (/api/chat/stream, /api/chats/{id}/stream)',
  }),
  route: z
    .strictObject({
      target: z
        .string()
        .min(1)
        .default('rust')
        .meta({ description: 'The route-split override the flip applies (--apply-route-flip)' }),
      verify: gateNames.meta({
        description: 'route-split gates that must answer the flipped target, read back after the flip',
      }),
    })
    .prefault({}),
  approval: z.boolean().default(true).meta({
    description: "A live train waits for the environment's approvals before its first change",
  }),
  dualRun: z
    .strictObject({
      legacyUrls: z
        .array(z.url({ protocol: /^https?$/ }))
        .default([])
        .meta({
          description:
            'Legacy base URLs --dual-run may name: the access token goes to them, so only these (an unlisted URL is refused)',
        }),
    })
    .prefault({}),
  errorBudget: z
    .strictObject({
      slo: z
        .string()
        .regex(/^projects\/[^/]+\/services\/[^/]+\/serviceLevelObjectives\/[^/]+$/, {
          error: 'expected projects/P/services/S/serviceLevelObjectives/O',
        })
        .optional()
        .meta({
          description:
            'The Cloud Monitoring SLO whose consumed error budget is gated; without it the operator gives --error-budget-consumed',
        }),
    })
    .prefault({}),
  hardGates: z
    .strictObject({
      maxRouteFlipFailures: maxFailures('route-flip failures'),
      maxStreamSmokeFailures: maxFailures('stream-smoke failures'),
      maxCanaryDrillFailures: maxFailures('canary-drill failures'),
      maxDualRunFailures: maxFailures('dual-run failures'),
      maxErrorBudgetConsumedPercent: z
        .number()
        .min(0)
        .default(5)
        .meta({ description: 'Most percent of the SLO error budget consumed (seed 004 default 5)' }),
    })
    .prefault({}),
});
export type StreamCutoverRunbook = z.infer<typeof streamCutoverRunbook>;

export const runbook = z.discriminatedUnion('kind', [canaryRunbook, streamCutoverRunbook, flagCanaryRunbook]);
export type Runbook = z.infer<typeof runbook>;
