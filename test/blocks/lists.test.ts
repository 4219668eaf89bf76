import { describe, expect, it } from 'vitest';
import { appHome } from '../../src/blocks/home.ts';
import { blockKitProblems, LIMITS } from '../../src/blocks/limits.ts';
import { lockRefusal, locksList } from '../../src/blocks/lock.ts';
import { rolloutList, rolloutStatus } from '../../src/blocks/status.ts';
import type { Freeze, Lock } from '../../src/runbooks/locks.ts';
import type { RunbookState } from '../../src/runbooks/types.ts';
import { at, buttons, Canary, NOW, REQUESTER, runbook, scenario, standalone, textOf } from './fixtures.ts';

const lock: Lock = {
  service: 'control',
  env: 'prod',
  rolloutId: 'control-prod-20261123T100000-a1b2',
  author: REQUESTER,
  reason: 'canary of v1.42.0 <!channel>',
  since: at(0),
  kind: 'rollout',
  token: 7,
};
const freeze: Freeze = {
  service: 'control',
  env: 'prod',
  author: 'UADMIN001',
  reason: 'end of quarter',
  since: at(-120),
};

describe('lock refusal', () => {
  it('names the holder, the reason, since when, and links the rollout thread', () => {
    const m = lockRefusal({
      service: 'control',
      env: 'prod',
      holder: lock,
      threadLink: 'https://acme.slack.com/archives/C0DEPLOYS/p1795428000000100',
      ...NOW,
    });
    const text = textOf(m);
    expect(text).toContain(`is locked by <@${REQUESTER}> for a rollout since <!date^`);
    expect(text).toContain('(12 min ago): canary of v1.42.0 &lt;!channel&gt;');
    expect(text).toContain('<https://acme.slack.com/archives/C0DEPLOYS/p1795428000000100|Open its thread>');
    expect(text).toContain('`control-prod-20261123T100000-a1b2`');
    expect(m.text).toContain(`<@${REQUESTER}>`);
    expect(blockKitProblems(m)).toEqual([]);
  });

  it('a freeze: who froze it, why, since when, and that rollbacks still run', () => {
    const m = lockRefusal({ service: 'control', env: 'prod', freeze, ...NOW });
    const text = textOf(m);
    expect(text).toContain('frozen by <@UADMIN001> since <!date^');
    expect(text).toContain('(2 h 12 min ago): end of quarter');
    expect(text).toContain('never a rollback');
    expect(text).toContain('`/deploy unlock control prod`');
    expect(blockKitProblems(m)).toEqual([]);
  });

  it('a link Slack cannot carry is left out, not broken', () => {
    const text = textOf(
      lockRefusal({ service: 'control', env: 'prod', holder: lock, threadLink: 'javascript:alert(1)' }),
    );
    expect(text).not.toContain('javascript:');
  });
});

describe('/deploy locks', () => {
  it('lists every lock and freeze', () => {
    const m = locksList(
      [lock, { ...lock, service: 'web', kind: 'rollback', rolloutId: 'rb-1' }],
      [freeze],
      NOW,
    );
    const text = textOf(m);
    expect(text).toContain('`control` `prod`: rollout `control-prod-20261123T100000-a1b2` by <@UREQUEST1>');
    expect(text).toContain('`web` `prod`: rollback `rb-1`');
    expect(text).toContain(':snowflake: `control` `prod`: frozen by <@UADMIN001>');
    expect(blockKitProblems(m)).toEqual([]);
  });

  it('says when there is none', () => {
    expect(textOf(locksList([], []))).toContain('No deploy locks or freezes');
  });

  it('cuts a long list with "and N more"', () => {
    const locks = Array.from({ length: 90 }, (_, i) => ({
      ...lock,
      service: `svc-${i}`,
      reason: 'r'.repeat(3000),
    }));
    const m = locksList(locks, [freeze], NOW);
    expect(blockKitProblems(m)).toEqual([]);
    expect(textOf(m)).toMatch(/and \d+ more/);
  });
});

describe('/canary status and list', () => {
  it('status: where the rollout stands, its stage bar, traffic and gates; no buttons', () => {
    const m = rolloutStatus(scenario('watching'), runbook, NOW);
    const text = textOf(m);
    expect(text).toContain('*control v1.42.0 → prod*');
    expect(text).toContain('Watching the gates of stage B (5 %)');
    expect(text).toContain('*B 5 % ●*');
    expect(text).toContain('tick 3: 5 pass');
    expect(text).toContain('(stage 2 of 5)');
    expect(text).toContain('Requested by <@UREQUEST1>');
    expect(buttons(m)).toEqual([]);
    expect(blockKitProblems(m)).toEqual([]);
  });

  it('status of a manual rollback', () => {
    const m = rolloutStatus(standalone().state, undefined, NOW);
    expect(textOf(m)).toContain('Rollback of `control` in `prod`');
    expect(textOf(m)).toContain('5xx spike after v1.42.0 &lt;!channel&gt;');
    expect(blockKitProblems(m)).toEqual([]);
  });

  it('list: one line per active rollout and rollback', () => {
    const states: RunbookState[] = [scenario('watching'), scenario('awaiting-approval'), standalone().state];
    const m = rolloutList(states, NOW);
    const text = textOf(m);
    expect(text).toContain('*3 active*');
    expect(text).toContain('*control prod* `v1.42.0`: watching the gates of stage B (5 %) · canary 5 %');
    expect(text).toContain('*control prod* rollback: rolling back to control-00041-old');
    expect(m.text).toContain('control prod');
    expect(blockKitProblems(m)).toEqual([]);
    expect(textOf(rolloutList([]))).toContain('No rollout or rollback is active');
  });

  it('list of 60 rollouts stays within limits and counts the rest', () => {
    const base = scenario('watching');
    const states = Array.from({ length: 60 }, (_, i) => ({
      ...base,
      id: `rollout-${i}`,
      service: `service-${i}`,
    }));
    const m = rolloutList(states, NOW);
    expect(blockKitProblems(m)).toEqual([]);
    expect(textOf(m)).toContain('and 20 more');
  });
});

describe('App Home', () => {
  it('shows active rollouts with their stage bar, locks, freezes, incidents and history', () => {
    const home = appHome({
      rollouts: [scenario('watching'), standalone().state],
      locks: [lock],
      freezes: [freeze],
      incidents: [
        {
          id: 'incident-1',
          service: 'control',
          env: 'prod',
          symptom: '5xx spike <!channel>',
          at: at(30),
          link: 'https://acme.slack.com/archives/C0DEPLOYS/p1',
        },
      ],
      history: [{ id: 'r-0', service: 'control', env: 'staging', status: 'promoted', endedAt: at(-60) }],
      ...NOW,
    });
    expect(home.type).toBe('home');
    const text = textOf(home);
    expect(text).toContain('Active rollouts (2)');
    expect(text).toContain('A 0 % ✓ → *B 5 % ●*');
    expect(text).toContain(':lock: `control` `prod`: rollout by <@UREQUEST1>');
    expect(text).toContain(':snowflake: `control` `prod`: frozen by <@UADMIN001>');
    expect(text).toContain('5xx spike &lt;!channel&gt;');
    expect(text).toContain('<https://acme.slack.com/archives/C0DEPLOYS/p1|thread>');
    expect(text).toContain(':white_check_mark: `control` `staging`: promoted');
    expect(blockKitProblems(home)).toEqual([]);
  });

  it('says so when there is nothing', () => {
    const home = appHome({ rollouts: [], locks: [], freezes: [], incidents: [], history: [] });
    expect(textOf(home)).toContain('Nothing is rolling out.');
    expect(blockKitProblems(home)).toEqual([]);
  });

  it('stays within 100 blocks with 30 rollouts and long lists, saying how many more', () => {
    const c = new Canary().deploy().approveAll().shifted().checked().tick();
    const rollouts = Array.from({ length: 30 }, (_, i) => ({
      ...c.state,
      id: `rollout-${i}`,
      service: `svc-${i}`,
    }));
    const many = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
    const home = appHome({
      rollouts,
      locks: many(80, (i) => ({ ...lock, service: `svc-${i}`, reason: 'r'.repeat(500) })),
      freezes: many(40, (i) => ({ ...freeze, service: `svc-${i}` })),
      incidents: many(80, (i) => ({
        id: `i${i}`,
        service: 'control',
        env: 'prod',
        symptom: 's'.repeat(2000),
        at: at(i),
      })),
      history: many(80, (i) => ({
        id: `h${i}`,
        service: 'control',
        env: 'prod',
        status: 'rolled-back',
        endedAt: at(i),
      })),
      ...NOW,
    });
    expect(home.blocks.length).toBeLessThanOrEqual(LIMITS.homeBlocks);
    expect(blockKitProblems(home)).toEqual([]);
    const text = textOf(home);
    expect(text).toContain('and 10 more: `/canary list` shows them all');
    expect(text).toContain('and 95 more'); // 120 locks and freezes, 25 shown
  });
});
