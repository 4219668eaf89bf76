import { describe, expect, it } from 'vitest';
import { blockKitProblems } from '../../src/blocks/limits.ts';
import { routeConflictText, routeRequestCard, routeStatusMessage } from '../../src/blocks/route.ts';
import type { RouteRequest, RouteView } from '../../src/runbooks/route/index.ts';

// The /route messages: what a person typed and what the control API answered are shown as text, and the
// messages stay within Block Kit's limits whatever their size.

const HOSTILE = '<!channel> <@U0BOSS> <https://evil.example|click> & more';
const NOW = new Date('2026-12-03T10:00:00Z');

function view(checks: number, reason = 'mode_rust'): RouteView {
  return {
    service: 'web',
    env: 'prod',
    status: {
      enabled: true,
      mode: 'rust',
      override: 'legacy',
      forceLegacy: false,
      rustRoutes: ['/'],
      domainOverrides: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`domain_${i}`, 'legacy'])),
    },
    checks: Array.from({ length: checks }, (_, i) => ({
      gate: `route-${i}`,
      path: `/path/${i}`,
      expect: 'rust_shell',
      decision: { path: `/path/${i}`, target: 'legacy', reason },
    })),
    setBy: { who: 'UDEPLOYER', at: '2026-12-03T09:50:00Z', reason: HOSTILE, byRollback: false },
  };
}

const request: RouteRequest = {
  id: 'route-web-prod-20261203T095000-abcd',
  service: 'web',
  env: 'prod',
  change: 'legacy',
  requestedBy: 'UDEPLOYER',
  reason: HOSTILE,
  status: 'pending',
  required: 2,
  at: '2026-12-03T09:50:00Z',
  expiresAt: '2026-12-03T10:50:00Z',
  approvers: '<@UAPPROVE1>',
  approvals: [],
};

describe('/route messages', () => {
  it('escape what people typed and what the control API answered', () => {
    for (const m of [
      routeStatusMessage(view(2, HOSTILE), { now: NOW }),
      routeRequestCard(request, { now: NOW }),
      routeRequestCard({ ...request, status: 'failed', message: HOSTILE }, { now: NOW }),
    ]) {
      const json = JSON.stringify(m);
      expect(json).not.toContain('<!channel>');
      expect(json).not.toContain('<@U0BOSS>');
      expect(json).not.toContain('<https://evil');
      expect(json).toContain('&lt;!channel&gt;');
    }
    const conflict = routeConflictText(
      {
        service: 'web',
        env: 'prod',
        override: 'legacy',
        gates: [{ name: 'route-login', path: '/login', expect: 'rust_shell' }],
        setBy: {
          who: 'shiftgate',
          at: '2026-12-03T09:50:00Z',
          rolloutId: 'r-1',
          reason: HOSTILE,
          byRollback: true,
        },
      },
      { now: NOW },
    );
    expect(conflict.text).not.toContain('<!channel>');
    expect(conflict.text).toContain('by the rollback `r-1`');
  });

  it('stay within Block Kit limits with many gates, domain overrides and long answers', () => {
    expect(blockKitProblems(routeStatusMessage(view(500, 'x'.repeat(5_000)), { now: NOW }))).toEqual([]);
    expect(blockKitProblems(routeRequestCard({ ...request, reason: 'y'.repeat(500) }, { now: NOW }))).toEqual(
      [],
    );
  });

  it('the card loses its buttons once decided', () => {
    expect(JSON.stringify(routeRequestCard(request, { now: NOW }))).toContain('route.approve');
    const applied = routeRequestCard(
      {
        ...request,
        status: 'applied',
        readBack: 'legacy',
        approvals: [{ userId: 'UAPPROVE1', at: request.at }],
      },
      { now: NOW },
    );
    expect(JSON.stringify(applied)).not.toContain('route.approve');
    expect(JSON.stringify(applied)).toContain('Approved');
    const expired = routeRequestCard(request, { now: new Date(Date.parse(request.expiresAt) + 1) });
    expect(JSON.stringify(expired)).toContain('Expired');
  });
});
