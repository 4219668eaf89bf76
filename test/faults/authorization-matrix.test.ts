import { describe, expect, it, vi } from 'vitest';
import { ACTIONS } from '../../src/blocks/actions.ts';
import { validationMatrix } from '../../src/config/validation.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import {
  ADMIN,
  APPROVERS,
  BAD_REVISION,
  DEPLOYER_2,
  ENV,
  ON_CALL,
  OUTSIDER,
  REQUESTER,
  SERVICE,
  STABLE_REVISION,
  testConfig,
} from '../helpers/engine-world.ts';
import { buttonsOf, useSlackWorld } from '../helpers/slack-world.ts';

// Every action against every role, through Slack alone: signed slash commands and button clicks to the
// real Bolt receiver, so every check is the server's. The expected table is written out below from the
// role rules (src/runbooks/roles.ts, the environment schema in src/config/environments.ts) and the test
// config (test/helpers/engine-world.ts testConfig):
//
//   deployers: REQUESTER, DEPLOYER_2   admins: ADMIN   approvers: APPROVERS + REQUESTER (no self-approval)
//   rollback: approvers = forward approvers, 1 approval; break-glass: ON_CALL
//
// "Deployer of another service": roles are per environment, not per service, so a deployer of another
// service in this environment is a deployer here; DEPLOYER_2 stands for them (a deployer who did not
// start this rollout). A refusal must leave everything as it was: the rollout record (version), the
// traffic, the route split's override, locks, freezes, open incidents and the channel.

const s = useSlackWorld('faults-authz');
const { world, slack } = s;

type Role = 'requester' | 'approver' | 'admin' | 'break-glass' | 'other-deployer' | 'outsider';
type Action =
  | 'start'
  | 'approve'
  | 'pause'
  | 'resume'
  | 'abort'
  | 'promote now'
  | 'rollback'
  | 'route override'
  | 'force-unlock'
  | 'freeze'
  | 'incident close'
  | 'validate';
/** allowed; asks: allowed to ask, the rollback waits for an approver; refused: nothing changes. */
type Answer = 'allowed' | 'asks' | 'refused';

const PERSON: Record<Role, string> = {
  requester: REQUESTER,
  approver: APPROVERS[0],
  admin: ADMIN,
  'break-glass': ON_CALL,
  'other-deployer': DEPLOYER_2,
  outsider: OUTSIDER,
};

const ROLES = Object.keys(PERSON) as Role[];

// biome-ignore format: the expected answers read as a table
const EXPECTED: Record<Action, Record<Role, Answer>> = {
  //                 requester   approver    admin       break-glass  other-deployer outsider
  start:            { requester: 'allowed', approver: 'refused', admin: 'allowed', 'break-glass': 'refused', 'other-deployer': 'allowed', outsider: 'refused' },
  approve:          { requester: 'refused', approver: 'allowed', admin: 'refused', 'break-glass': 'refused', 'other-deployer': 'refused', outsider: 'refused' },
  pause:            { requester: 'allowed', approver: 'refused', admin: 'allowed', 'break-glass': 'refused', 'other-deployer': 'refused', outsider: 'refused' },
  resume:           { requester: 'allowed', approver: 'refused', admin: 'allowed', 'break-glass': 'refused', 'other-deployer': 'refused', outsider: 'refused' },
  abort:            { requester: 'allowed', approver: 'refused', admin: 'allowed', 'break-glass': 'refused', 'other-deployer': 'refused', outsider: 'refused' },
  'promote now':    { requester: 'refused', approver: 'refused', admin: 'allowed', 'break-glass': 'refused', 'other-deployer': 'refused', outsider: 'refused' },
  rollback:         { requester: 'asks',    approver: 'asks',    admin: 'allowed', 'break-glass': 'allowed', 'other-deployer': 'asks',    outsider: 'refused' },
  'route override': { requester: 'asks',    approver: 'asks',    admin: 'allowed', 'break-glass': 'allowed', 'other-deployer': 'asks',    outsider: 'refused' },
  'force-unlock':   { requester: 'refused', approver: 'refused', admin: 'allowed', 'break-glass': 'refused', 'other-deployer': 'refused', outsider: 'refused' },
  freeze:           { requester: 'allowed', approver: 'refused', admin: 'allowed', 'break-glass': 'refused', 'other-deployer': 'allowed', outsider: 'refused' },
  'incident close': { requester: 'allowed', approver: 'allowed', admin: 'allowed', 'break-glass': 'allowed', 'other-deployer': 'allowed', outsider: 'refused' },
  validate:         { requester: 'allowed', approver: 'allowed', admin: 'allowed', 'break-glass': 'refused', 'other-deployer': 'allowed', outsider: 'refused' },
};

/** What a refusal must leave untouched. */
async function snapshot(rolloutId?: string) {
  const view = rolloutId ? await s.current.engine.get(rolloutId) : undefined;
  return {
    rollout: view && { version: view.version, status: view.status },
    traffic: world.split(),
    route: world.routeSplit.override,
    patches: world.patches().length,
    locks: (await world.store.locks.listLocks()).map((l) => [l.service, l.env, l.rolloutId]),
    freezes: (await world.store.locks.listFreezes()).map((f) => [f.service, f.env, f.author]),
    incidents: (await s.current.side.incidents.listOpen()).map((i) => i.id),
    channel: s.channelMessages().map((m) => [m.ts, slack.thread(m.channel, m.ts).length]),
  };
}

/** A rollout of REQUESTER waiting for stage B's approval, its approval request in the thread. */
async function rolloutAtB() {
  world.seed();
  const started = await s.current.engine.startCanary({
    service: SERVICE,
    env: ENV,
    tag: 'v2.0.0',
    requestedBy: REQUESTER,
  });
  if (!started.ok) throw new Error(JSON.stringify(started));
  const id = started.rolloutId;
  world.feed(world.canaryRevision(id, 'v2.0.0'));
  await world.until(s.current.engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
  const request = await s.waitForMessage((m) =>
    buttonsOf(m).some((b) => b.action_id === ACTIONS.approve && JSON.parse(b.value).s === 1),
  );
  return { id, request };
}

interface Cell {
  /** Puts the world where the action makes sense; returns the rollout it is about, if any. */
  setup(): Promise<string | undefined>;
  /** Does it as `userId`; returns what that person is told. */
  act(userId: string, rolloutId: string | undefined): Promise<string>;
  /** The refusal, as the person reads it. */
  refused: RegExp;
  /** The change an allowed action makes, checked after it. */
  done(answer: Answer, told: string, rolloutId: string | undefined): Promise<void>;
}

const statusOf = async (id: string | undefined) => (await s.current.engine.get(id as string))?.status;
const command = async (userId: string, name: string, text: string) =>
  (await s.command(userId, name, text)).text;

const CELLS: Record<Action, Cell> = {
  start: {
    setup: async () => {
      world.seed();
      return undefined;
    },
    act: (who) => command(who, '/canary', 'start v2.0.0'),
    refused: /not a deployer here/,
    done: async (_, told) => {
      expect(told).toContain('Started web v2.0.0 in prod');
      expect(await world.store.locks.listLocks()).toHaveLength(1);
    },
  },
  approve: {
    setup: async () => {
      const { id } = await rolloutAtB();
      return id;
    },
    act: async (who, id) => {
      const request = await s.waitForMessage((m) =>
        buttonsOf(m).some((b) => b.action_id === ACTIONS.approve && JSON.parse(b.value).s === 1),
      );
      const url = await s.click(who, request, ACTIONS.approve);
      // A refused click is answered to the clicker alone; an accepted one shows on the rollout.
      return vi.waitFor(
        async () => {
          const text = slack.responses(url)[0]?.text;
          if (text !== undefined) return text;
          const state = (await s.current.engine.get(id as string))?.state as CanaryState;
          expect(state.stages[1]?.approvals).toHaveLength(1);
          return 'approved';
        },
        { timeout: 10_000, interval: 20 },
      );
    },
    refused: /someone else has to approve it|not an approver here/,
    done: async (_, __, id) => {
      await world.until(s.current.engine, id as string, (v) =>
        expect((v.state as CanaryState).stages[1]?.approvals).toHaveLength(1),
      );
    },
  },
  pause: {
    setup: async () => (await rolloutAtB()).id,
    act: (who) => command(who, '/canary', 'pause'),
    refused: /who started this rollout\) or an admin may pause it/,
    done: async (_, told, id) => {
      expect(told).toContain('Paused');
      expect(await statusOf(id)).toBe('paused');
    },
  },
  resume: {
    setup: async () => {
      const { id } = await rolloutAtB();
      const paused = await s.current.engine.send(id, { type: 'pause', by: REQUESTER });
      expect(paused.ok).toBe(true);
      return id;
    },
    act: (who) => command(who, '/canary', 'resume'),
    refused: /who started this rollout\) or an admin may resume it/,
    done: async (_, __, id) => {
      await world.until(s.current.engine, id as string, (v) => expect(v.status).not.toBe('paused'));
    },
  },
  abort: {
    setup: async () => (await rolloutAtB()).id,
    act: (who) => command(who, '/canary', 'abort'),
    refused: /who started this rollout\) or an admin may abort it/,
    done: async (_, __, id) => {
      await world.until(s.current.engine, id as string, (v) => expect(v.status).toBe('aborted'));
    },
  },
  'promote now': {
    setup: async () => (await rolloutAtB()).id,
    act: (who) => command(who, '/canary', 'promote'),
    refused: /only admins may promote now/,
    done: async (_, told, id) => {
      expect(told).toContain('Promoting now');
      await world.until(s.current.engine, id as string, (v) =>
        expect((v.state as CanaryState).promoteNow?.by).toBe(ADMIN),
      );
    },
  },
  rollback: {
    setup: async () => {
      world.seedBadRelease();
      return undefined;
    },
    act: (who) => command(who, '/rollback', `${SERVICE} --to ${STABLE_REVISION} --reason "5xx spike"`),
    refused: /you may not roll back here/,
    done: async (answer, told) => {
      if (answer === 'asks') {
        expect(told).toMatch(/needs 1 approval/);
        expect(world.split()).toEqual({ [BAD_REVISION]: 100 });
      } else {
        await vi.waitFor(() => expect(world.split()).toEqual({ [STABLE_REVISION]: 100 }), {
          timeout: 10_000,
          interval: 20,
        });
      }
    },
  },
  'route override': {
    setup: async () => {
      world.seed();
      return undefined;
    },
    act: (who) => command(who, '/route', `override ${SERVICE} legacy --reason "auth errors on rust"`),
    refused: /you may not change the route split here/,
    done: async (answer, told) => {
      if (answer === 'asks') {
        expect(told).toMatch(/needs 1 approval/);
        expect(world.routeSplit.override).toBeNull();
      } else {
        expect(told).toMatch(/now reads override `legacy`/);
        expect(world.routeSplit.override).toBe('legacy');
      }
    },
  },
  'force-unlock': {
    // A freeze someone else put on: only an admin lifts it (its author could too, and is nobody here).
    setup: async () => {
      world.seed();
      const frozen = await world.store.locks.freeze(SERVICE, ENV, { author: 'UFREEZER', reason: 'audit' });
      expect(frozen.ok).toBe(true);
      return undefined;
    },
    act: (who) => command(who, '/deploy', `unlock ${SERVICE}`),
    refused: /Only <@UFREEZER> \(who froze it\) or an admin may lift this freeze/,
    done: async (_, told) => {
      expect(told).toContain('open again');
      expect(await world.store.locks.listFreezes()).toEqual([]);
    },
  },
  freeze: {
    setup: async () => {
      world.seed();
      return undefined;
    },
    act: (who) => command(who, '/deploy', `lock ${SERVICE} maintenance window`),
    refused: /Only deployers and admins may freeze deploys here/,
    done: async (_, told) => {
      expect(told).toContain('are frozen by');
      expect(await world.store.locks.listFreezes()).toHaveLength(1);
    },
  },
  'incident close': {
    setup: async () => {
      world.seed();
      await s.current.side.incidents.open({ service: SERVICE, env: ENV, symptom: '5xx', by: REQUESTER });
      return undefined;
    },
    act: (who) => command(who, '/incident', 'close'),
    refused: /Only deployers, approvers and admins of this environment may resolve its incidents/,
    done: async () => {
      expect(await s.current.side.incidents.listOpen()).toEqual([]);
    },
  },
  validate: {
    setup: async () => {
      world.seed();
      return undefined;
    },
    act: (who) => command(who, '/validate', ENV),
    refused: /Only deployers, approvers and admins of `prod` may run its validation/,
    done: async (_, told) => {
      expect(told).toMatch(/Validation of `prod` started/);
      await s.waitForMessage((m) => /verdict|GO|go/i.test(m.text) && m.thread_ts === undefined);
    },
  },
};

/** The test config, plus a one-lane validation matrix in prod so /validate reaches its role check. */
function matrixConfig() {
  const config = testConfig();
  const environment = config.environments[ENV];
  if (environment)
    environment.validation = validationMatrix.parse({
      lanes: [{ name: 'canary-status', kind: 'canary-status', services: [SERVICE] }],
    });
  return config;
}

async function startBot() {
  await s.start(matrixConfig(), {
    // The one lane reads the rollout store and Cloud Run only.
    validation: {
      cloudRun: world.cloudRunAdapter,
      gates: world.gates,
      logging: {} as never,
    },
  });
}

describe('authorization matrix: every action against every role, enforced by the server', () => {
  const cells = (Object.keys(EXPECTED) as Action[]).flatMap((action) =>
    ROLES.map((role) => [action, role, EXPECTED[action][role]] as const),
  );

  it.each(cells)('%s by %s: %s', async (action, role, answer) => {
    await startBot();
    const cell = CELLS[action];
    const rolloutId = await cell.setup();
    await s.current.engine.idle();
    const before = await snapshot(rolloutId);
    const told = await cell.act(PERSON[role], rolloutId);
    if (answer === 'refused') {
      expect(told).toMatch(cell.refused);
      await s.current.engine.idle();
      expect(await snapshot(rolloutId)).toEqual(before);
    } else {
      expect(told).not.toMatch(cell.refused);
      await cell.done(answer, told, rolloutId);
    }
  });

  it.skip('force-unlock of a rollout lock: the store has it (locks.forceUnlock), Slack has no command for it yet', () => {});
});
