import { describe, expect, it } from 'vitest';
import { createCloudLoggingGate } from '../../src/gates/providers/cloud-logging.ts';
import { renderGate } from '../../src/gates/render.ts';
import {
  CANARY,
  context,
  END,
  exampleGate,
  gateOf,
  minute,
  STABLE,
  twinLogging,
  twinMonitoring,
  useObservabilityTwins,
} from '../helpers/observability-twins.ts';

// The cloud-logging gates through the real Logging and Monitoring adapters against their twins: errors
// and audit events are log entries the twin filters, request counts come from the Monitoring twin.

const { logs, metrics } = useObservabilityTwins();
const logging = twinLogging();
const monitoring = twinMonitoring();
// Pages of 10 and the adapter's default bound of 5 pages: a count stops at 50 entries.
const boundedLogging = twinLogging({ pageSize: 10 });
const gates = createCloudLoggingGate({ logging, monitoring });
const bounded = createCloudLoggingGate({ logging: boundedLogging, monitoring });

const loggingGate = (input: unknown) => gateOf('cloud-logging', input);

const AUTH_VERIFY_ERRORS = exampleGate('cloud-logging', 'auth-verify-errors'); // 2x stable, from 5 errors
const SYNC_TOKEN_ERRORS = exampleGate('cloud-logging', 'sync-token-errors');
const AUDIT_EVENTS = exampleGate('cloud-logging', 'audit-events'); // the three events, 1 each
const EVENTS = ['auth.verify.completed', 'sync.token.issued', 'route.split.decision'];

/** Requests served in the window, as Cloud Monitoring counts them. */
function requests(stable: number, canary: number) {
  if (stable > 0) metrics.addTraffic(STABLE, { requests: stable, at: minute(3) });
  if (canary > 0) metrics.addTraffic(CANARY, { requests: canary, at: minute(3) });
}

/** Auth verify failures as the control service logs them: the failure lane of auth.verify.completed. */
function authFailures(revision: string, count: number) {
  for (let i = 0; i < count; i++) {
    logs.auditEvent(revision, 'auth.verify.completed', minute(1 + (8 * i) / Math.max(count, 1)), {
      outcome: 'failure',
    });
  }
}

describe('error-spike', () => {
  it("passes when the canary's errors per request are no more than twice stable's", async () => {
    requests(57_000, 3_000);
    authFailures(STABLE, 57); // 0.1 %
    authFailures(CANARY, 5); // 0.167 %: 1.7x
    logs.auditEvent(CANARY, 'auth.verify.completed', minute(2), { outcome: 'success' }); // not an error
    const result = await gates.evaluate('auth-verify-errors', AUTH_VERIFY_ERRORS, context());
    expect(result).toMatchObject({
      gate: 'auth-verify-errors',
      kind: 'cloud-logging',
      status: 'pass',
      metric: 'auth-verify-errors per request',
      observed: { value: 0.1667, unit: '%' },
      baseline: { value: 0.1, unit: '%' },
      threshold: '2x stable, from 5 errors',
      samples: 3_000,
      reason: '5 canary errors vs 57 on stable',
      at: END.toISOString(),
    });
    // The evidence is the canary's count, as gcloud shows it: the example's filter, the revision, the window.
    expect(result.evidence).toMatch(/^gcloud logging read '.*' --project 'p'$/);
    expect(result.evidence).toContain(`resource.labels.revision_name="${CANARY}"`);
    expect(result.evidence).toContain('timestamp>="2026-11-20T10:00:00.000Z"');
    expect(result.evidence).toContain('jsonPayload.outcome="failure"');
    expect(renderGate(result)).toContain('auth-verify-errors per request 0.167 % vs stable 0.1 %');
  });

  it('fails a spike: more than twice the stable rate, with at least minCount canary errors', async () => {
    requests(57_000, 3_000);
    authFailures(STABLE, 57);
    authFailures(CANARY, 10); // auth error responses from the request log count too
    logs.recordRequest(CANARY, { url: '/api/auth/verify', status: 401, at: minute(4) });
    logs.recordRequest(CANARY, { url: '/api/auth/session', status: 500, at: minute(4) });
    const result = await gates.evaluate('auth-verify-errors', AUTH_VERIFY_ERRORS, context());
    expect(result).toMatchObject({
      status: 'fail',
      observed: { value: 0.4 },
      baseline: { value: 0.1 },
      reason: '12 canary errors vs 57 on stable; spike: more than 2x stable',
      summary: "The canary logs more than 2x stable's errors per request.",
      // For the stage chart: the canary must stay under twice stable's errors per request, in %.
      plot: { panel: 'error-logs', limit: 0.2 },
    });
    expect(renderGate(result)).toMatch(/\(4x, limit 2x stable, from 5 errors; .*\): FAIL$/);
  });

  it('fails the sync token errors of the example too (text payloads and value lists)', async () => {
    requests(57_000, 3_000);
    for (let i = 0; i < 20; i++) {
      logs.addEntry(STABLE, {
        timestamp: minute(2),
        severity: 'ERROR',
        jsonPayload: { error: 'sync_token_unavailable' },
      });
    }
    for (const error of ['sync_token_unavailable', 'invalid_scope', 'invalid_request', 'invalid_scope']) {
      logs.addEntry(CANARY, { timestamp: minute(2), severity: 'ERROR', jsonPayload: { error } });
    }
    logs.addEntry(CANARY, {
      timestamp: minute(3),
      textPayload: 'mint failed: sync_token_unavailable (redis)',
    });
    logs.addEntry(CANARY, { timestamp: minute(3), severity: 'ERROR', jsonPayload: { error: 'other_error' } });
    const result = await gates.evaluate('sync-token-errors', SYNC_TOKEN_ERRORS, context());
    expect(result).toMatchObject({
      status: 'fail',
      reason: '5 canary errors vs 20 on stable; spike: more than 2x stable',
    });
  });

  it('is inconclusive, never fail, for a ratio over the limit on fewer than minCount canary errors', async () => {
    requests(57_000, 3_000);
    authFailures(STABLE, 10);
    authFailures(CANARY, 3); // 5.7x, on three errors
    const result = await gates.evaluate('auth-verify-errors', AUTH_VERIFY_ERRORS, context());
    expect(result).toMatchObject({
      status: 'inconclusive',
      reason: '3 canary errors vs 10 on stable; fewer than the 5 canary errors that can fail',
    });
  });

  it('takes a clean stable as half an error: a busy clean stable makes canary errors a spike, an idle one not', async () => {
    requests(57_000, 3_000);
    authFailures(CANARY, 5);
    const busy = await gates.evaluate('auth-verify-errors', AUTH_VERIFY_ERRORS, context());
    expect(busy).toMatchObject({
      status: 'fail',
      baseline: { value: 0 },
      reason:
        '5 canary errors vs 0 on stable; stable had none, taken as 0.5 (ratio 190x); spike: more than 2x stable',
    });

    metrics.reset();
    requests(20, 3_000); // stable idle: 20 requests
    const idle = await gates.evaluate('auth-verify-errors', AUTH_VERIFY_ERRORS, context());
    expect(idle).toMatchObject({
      status: 'pass',
      reason: '5 canary errors vs 0 on stable; stable had none, taken as 0.5 (ratio 0.0667x)',
    });
  });

  it('is inconclusive without traffic to form a rate: no canary requests, or no stable to compare with', async () => {
    authFailures(CANARY, 8);
    requests(57_000, 0);
    expect(await gates.evaluate('auth-verify-errors', AUTH_VERIFY_ERRORS, context())).toMatchObject({
      status: 'inconclusive',
      reason: 'the canary served no requests',
    });
    metrics.reset();
    requests(0, 60_000);
    const alone = await gates.evaluate('auth-verify-errors', AUTH_VERIFY_ERRORS, context({ canaryShare: 1 }));
    expect(alone).toMatchObject({
      status: 'inconclusive',
      reason: '8 canary errors vs 0 on stable; stable served no requests to compare with',
    });
    expect(alone.baseline).toBeUndefined();
  });

  it('says when a count is a lower bound, and keeps only the verdicts the bound cannot overturn', async () => {
    requests(57_000, 3_000);
    authFailures(CANARY, 60); // counted as 50+
    authFailures(STABLE, 30);
    const canarySpike = await bounded.evaluate('auth-verify-errors', AUTH_VERIFY_ERRORS, context());
    expect(canarySpike).toMatchObject({
      status: 'fail',
      observed: { value: 1.667 },
      reason:
        '50+ canary errors vs 30 on stable; spike: more than 2x stable; the canary count is a lower bound (page bound reached)',
    });

    // Both stopped at 50: the stable rate is a lower bound too, so the ratio may be lower than it looks.
    authFailures(STABLE, 30);
    metrics.reset();
    requests(20_000, 3_000);
    const both = await bounded.evaluate('auth-verify-errors', AUTH_VERIFY_ERRORS, context());
    expect(both).toMatchObject({
      status: 'inconclusive',
      reason: '50+ canary errors vs 50+ on stable; the stable count is a lower bound (page bound reached)',
    });

    // The canary count stopped under the limit: more errors could put it over.
    logs.reset();
    metrics.reset();
    requests(1_000, 3_000);
    authFailures(CANARY, 60);
    authFailures(STABLE, 30);
    expect(await bounded.evaluate('auth-verify-errors', AUTH_VERIFY_ERRORS, context())).toMatchObject({
      status: 'inconclusive',
      reason: '50+ canary errors vs 30 on stable; the canary count is a lower bound (page bound reached)',
    });
  });

  it.each([
    ['Cloud Logging', 403, () => logs.recorder.inject({ match: 'entries:list', status: 403, times: 10 })],
    ['Cloud Logging', 503, () => logs.recorder.inject({ match: 'entries:list', status: 503, times: 10 })],
    ['Cloud Monitoring', 403, () => metrics.recorder.inject({ match: 'timeSeries', status: 403, times: 10 })],
    ['Cloud Monitoring', 503, () => metrics.recorder.inject({ match: 'timeSeries', status: 503, times: 10 })],
  ])('is error, not fail, when %s answers %i', async (_system, status, inject) => {
    requests(57_000, 3_000);
    authFailures(CANARY, 40);
    inject();
    const result = await gates.evaluate('auth-verify-errors', AUTH_VERIFY_ERRORS, context());
    expect(result).toMatchObject({ status: 'error', samples: 0, threshold: '2x stable, from 5 errors' });
    expect(result.reason).toMatch(status === 403 ? /permission denied/i : /unavailable/i);
    expect(result.evidence).toContain('jsonPayload.event="auth.verify.completed"');
  });
});

describe('audit-events', () => {
  it('passes when each event appears in the window, on any revision of the service', async () => {
    logs.auditEvent(CANARY, 'auth.verify.completed', minute(1));
    logs.auditEvent(STABLE, 'sync.token.issued', minute(2));
    logs.auditEvent(STABLE, 'route.split.decision', minute(3));
    logs.auditEvent(STABLE, 'route.split.decision', minute(4));
    const result = await gates.evaluate('audit-events', AUDIT_EVENTS, context());
    expect(result).toMatchObject({
      gate: 'audit-events',
      status: 'pass',
      metric: 'audit events',
      threshold: '>= 1 each',
      samples: 4,
      observed: { value: 'auth.verify.completed 1, sync.token.issued 1, route.split.decision 2' },
    });
    expect(result.evidence).not.toContain('revision_name');
    expect(result.evidence).toContain(
      'jsonPayload.event=("auth.verify.completed" OR "sync.token.issued" OR "route.split.decision")',
    );
    // No request counts needed when everything is there.
    expect(metrics.recorder.requests).toHaveLength(0);
  });

  it('fails naming the missing events, when the service served traffic', async () => {
    requests(57_000, 3_000);
    logs.auditEvent(CANARY, 'auth.verify.completed', minute(1));
    logs.auditEvent(CANARY, 'route.split.override', minute(1)); // not the decision
    logs.auditEvent(STABLE, 'route.split.decision', minute(11)); // after the window
    const result = await gates.evaluate('audit-events', AUDIT_EVENTS, context());
    expect(result).toMatchObject({
      status: 'fail',
      observed: { value: 'auth.verify.completed 1, sync.token.issued 0, route.split.decision 0' },
      reason: 'missing: sync.token.issued, route.split.decision, in a window of 60,000 requests',
    });
  });

  it('counts minCount entries of each event', async () => {
    requests(57_000, 3_000);
    for (const event of EVENTS) logs.auditEvent(STABLE, event, minute(1));
    logs.auditEvent(STABLE, 'auth.verify.completed', minute(2));
    logs.auditEvent(STABLE, 'auth.verify.completed', minute(3));
    const gate = loggingGate({ ...AUDIT_EVENTS, minCount: 3 });
    expect(await gates.evaluate('audit-events', gate, context())).toMatchObject({
      status: 'fail',
      threshold: '>= 3 each',
      reason: 'missing: sync.token.issued, route.split.decision, in a window of 60,000 requests',
    });
  });

  it('reads the configured field', async () => {
    logs.addEntry(CANARY, { timestamp: minute(1), jsonPayload: { audit: { kind: 'route.split.decision' } } });
    const gate = loggingGate({
      kind: 'cloud-logging',
      check: 'audit-events',
      events: ['route.split.decision'],
      field: 'jsonPayload.audit.kind',
    });
    expect(await gates.evaluate('route-split-audit', gate, context())).toMatchObject({ status: 'pass' });
  });

  it('is inconclusive when the service served nothing: absence then proves nothing', async () => {
    const result = await gates.evaluate('audit-events', AUDIT_EVENTS, context());
    expect(result).toMatchObject({
      status: 'inconclusive',
      reason:
        'auth.verify.completed, sync.token.issued, route.split.decision missing, but no requests were served in the window',
    });
  });

  it('is inconclusive when the page bound stopped the listing before a missing event could show', async () => {
    requests(57_000, 3_000);
    for (let i = 0; i < 60; i++) logs.auditEvent(STABLE, 'auth.verify.completed', minute(i / 10));
    logs.auditEvent(STABLE, 'sync.token.issued', minute(8));
    logs.auditEvent(STABLE, 'route.split.decision', minute(9));
    expect(await bounded.evaluate('audit-events', AUDIT_EVENTS, context())).toMatchObject({
      status: 'inconclusive',
      reason: 'page bound reached after 5 pages before sync.token.issued, route.split.decision showed',
    });
    // Unbounded (pages of 1,000), all three are found.
    expect(await gates.evaluate('audit-events', AUDIT_EVENTS, context())).toMatchObject({ status: 'pass' });
  });

  it.each([
    [403, /permission denied/i],
    [503, /unavailable/i],
  ])('is error, not fail, when Cloud Logging answers %i', async (status, reason) => {
    logs.recorder.inject({ match: 'entries:list', status, times: 10 });
    const result = await gates.evaluate('audit-events', AUDIT_EVENTS, context());
    expect(result).toMatchObject({ status: 'error', metric: 'audit events', samples: 0 });
    expect(result.reason).toMatch(reason);
  });

  it('is error when events are missing and the request count to judge that cannot be read', async () => {
    metrics.recorder.inject({ match: 'timeSeries', status: 403, times: 10 });
    const result = await gates.evaluate('audit-events', AUDIT_EVENTS, context());
    expect(result.status).toBe('error');
    expect(result.reason).toMatch(
      /^auth\.verify\.completed, .* missing, and the request count .*permission denied/i,
    );
  });
});
