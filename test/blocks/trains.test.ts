import { describe, expect, it } from 'vitest';
import { cutoverApproval, cutoverCard, cutoverStepMessage } from '../../src/blocks/cutover.ts';
import { flagApproval, flagCard, flagStepMessage } from '../../src/blocks/flag.ts';
import { blockKitProblems } from '../../src/blocks/index.ts';
import { flagCanaryRunbook } from '../../src/config/flags.ts';
import { streamCutoverRunbook } from '../../src/config/runbooks.ts';
import type { GateResult } from '../../src/gates/result.ts';
import { newCutover } from '../../src/runbooks/cutover/index.ts';
import { newFlagCanary } from '../../src/runbooks/flag/index.ts';

// The trains' messages (stream cutover, flag canary) stay within Block Kit's limits whatever they hold:
// hundreds of results with long reasons, long logs, many ticks; and what services returned stays text.

const AT = '2026-12-03T10:00:00.000Z';
const hostile = '<!channel> <https://evil.example|click> *bold* `code`';
const long = (gate: string): GateResult => ({
  gate,
  kind: 'sse-contract',
  status: 'fail',
  metric: `stream POST /api/chat/stream ${hostile}`,
  threshold: 'contract',
  samples: 1,
  evidence: `curl ${'x'.repeat(2000)}`,
  reason: `${hostile} ${'r'.repeat(3000)}`,
  at: AT,
});

function stuffed<
  S extends { steps: { results: GateResult[]; log: { at: string; what: string }[]; status: string }[] },
>(state: S): S {
  for (const step of state.steps) {
    step.status = 'failed';
    step.results = Array.from({ length: 120 }, (_, i) => long(`gate-${i}`));
    step.log = Array.from({ length: 40 }, () => ({ at: AT, what: `${hostile} ${'l'.repeat(400)}` }));
  }
  return state;
}

describe('train messages', () => {
  it('a stream cutover full of long failing results fits, and its text stays text', () => {
    const runbook = streamCutoverRunbook.parse({ kind: 'stream-cutover', smokes: ['chat-stream'] });
    const state = stuffed(
      newCutover(
        { id: 't1', service: 'web', env: 'prod', requestedBy: 'UREQ', dryRun: false, at: AT },
        {
          stableRevision: 'web-1',
          canaryRevision: 'web-2',
          applyRouteFlip: true,
          legacyUrl: `https://legacy.example/${'p'.repeat(200)}`,
        },
        runbook,
      ),
    );
    state.hold = { kind: 'attention', cause: 'rollback', reason: hostile.repeat(100), at: AT };
    const messages = [
      cutoverCard(state),
      cutoverApproval(state, 1, { required: 2 }),
      ...state.steps.map((_, i) => cutoverStepMessage(state, i)),
    ];
    for (const m of messages) {
      expect(blockKitProblems(m)).toEqual([]);
      expect(JSON.stringify(m)).not.toContain('<!channel>');
    }
  });

  it('a flag canary with many ticks and warnings fits, and its text stays text', () => {
    const runbook = flagCanaryRunbook.parse({
      kind: 'flag-canary',
      service: 'web',
      flags: Array.from({ length: 30 }, (_, i) => ({ name: `flag_${i}_${'f'.repeat(40)}` })),
      backend: { kind: 'http-json', url: '/flags' },
      triggers: ['golden-mismatch'],
    });
    const state = stuffed(
      newFlagCanary(
        {
          id: 'f1',
          service: 'web',
          env: 'prod',
          requestedBy: 'UREQ',
          dryRun: false,
          at: AT,
          config: 'm4-canary',
        },
        { mode: 'canary' },
        runbook,
      ),
    );
    state.warnings = Array.from({ length: 50 }, () => `${hostile} ${'w'.repeat(500)}`);
    state.flagsBefore = {
      values: Object.fromEntries(state.flags.map((f) => [f, false])),
      version: 'v1',
      where: hostile,
    };
    state.ticks = Array.from({ length: 200 }, () => [long('golden-mismatch')]);
    const messages = [
      flagCard(state),
      flagApproval(state, 3, { required: 1 }),
      ...state.steps.map((_, i) => flagStepMessage(state, i)),
    ];
    for (const m of messages) {
      expect(blockKitProblems(m)).toEqual([]);
      expect(JSON.stringify(m)).not.toContain('<!channel>');
    }
  });
});
