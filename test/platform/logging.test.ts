import { readFileSync } from 'node:fs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createLoggingTwin, INSTANT_LOGS } from '../../sandbox/twins/logging/index.ts';
import { createCloudLogging } from '../../src/platform/logging/index.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { useTwins } from '../helpers/msw.ts';

// The Logging adapter through the real @google-cloud/logging client (REST fallback) against the stateful
// twin, which applies the filter and the window it is sent.

const twin = createLoggingTwin({ project: 'p', service: 'svc', ...INSTANT_LOGS });
useTwins(...twin.handlers);

const target = { projectId: 'p', endpoint: { host: 'logging.twin', port: 80, protocol: 'http' as const } };
const logging = createCloudLogging({ target, timeoutMs: 2_000, retryDelayMs: 1 });
afterAll(() => logging.close());

const example = parse(readFileSync(new URL('../../examples/shiftgate.yaml', import.meta.url), 'utf8')) as {
  gates: Record<string, { filter?: string }>;
};
const AUTH_VERIFY_ERRORS = example.gates['auth-verify-errors']?.filter as string;
const SYNC_TOKEN_ERRORS = example.gates['sync-token-errors']?.filter as string;

const START = new Date('2026-11-20T10:00:00Z');
const END = new Date('2026-11-20T10:10:00Z');
const window = { start: START, end: END };
const minute = (n: number) => new Date(START.getTime() + n * 60_000);
const STABLE = 'svc-00010-abc';
const CANARY = 'svc-00011-def';
const scope = { project: 'p', service: 'svc', window };

beforeEach(() => twin.reset());

function authTraffic(revision: string, failures: number, successes: number) {
  for (let i = 0; i < failures; i++) {
    twin.auditEvent(revision, 'auth.verify.completed', minute(1 + i / 100), { outcome: 'failure' });
  }
  for (let i = 0; i < successes; i++) {
    twin.auditEvent(revision, 'auth.verify.completed', minute(2 + i / 100), { outcome: 'success' });
  }
}

describe('countEntries', () => {
  it("counts the example's auth verify failures per revision over the window", async () => {
    authTraffic(CANARY, 6, 40);
    authTraffic(STABLE, 3, 400);
    // auth error responses from the request log count too; a 200 or another path does not
    twin.recordRequest(CANARY, { url: '/api/auth/verify', status: 401, at: minute(3) });
    twin.recordRequest(CANARY, { url: '/api/auth/session', status: 500, at: minute(3) });
    twin.recordRequest(CANARY, { url: '/api/auth/verify', status: 200, at: minute(3) });
    twin.recordRequest(CANARY, { url: '/api/sync/token', status: 500, at: minute(3) });
    // outside the window, or another service
    twin.auditEvent(CANARY, 'auth.verify.completed', minute(-1), { outcome: 'failure' });
    twin.auditEvent(CANARY, 'auth.verify.completed', minute(11), { outcome: 'failure' });
    twin.addEntry(CANARY, {
      service: 'other-svc',
      timestamp: minute(1),
      jsonPayload: { event: 'auth.verify.completed', outcome: 'failure' },
    });

    const { counts } = await logging.countEntries({
      ...scope,
      revisions: [STABLE, CANARY],
      filter: AUTH_VERIFY_ERRORS,
    });

    expect(counts[CANARY]).toMatchObject({ count: 8, complete: true, pages: 1 });
    expect(counts[STABLE]).toMatchObject({ count: 3, complete: true, pages: 1 });
    expect(counts[CANARY]?.filter).toBe(
      'resource.type="cloud_run_revision" AND resource.labels.service_name="svc" AND ' +
        `resource.labels.revision_name="${CANARY}" AND timestamp>="2026-11-20T10:00:00.000Z" AND ` +
        `timestamp<"2026-11-20T10:10:00.000Z" AND (${AUTH_VERIFY_ERRORS})`,
    );
    // What went over the wire: the filter as shown (no "last 24 hours" added), the project, one revision
    // at a time.
    expect(twin.recorder.requests.map((r) => r.path)).toEqual([
      '/v2/entries:list?$alt=json%3Benum-encoding=int',
      '/v2/entries:list?$alt=json%3Benum-encoding=int',
    ]);
    expect(twin.recorder.requests[0]?.body).toEqual({
      resourceNames: ['projects/p'],
      filter: counts[STABLE]?.filter,
      orderBy: 'timestamp asc',
      pageSize: 1_000,
    });
  });

  it("counts the example's sync token errors, value lists and text payloads included", async () => {
    for (const error of ['sync_token_unavailable', 'INVALID_SCOPE', 'invalid_request', 'other_error']) {
      twin.addEntry(CANARY, { timestamp: minute(1), severity: 'ERROR', jsonPayload: { error } });
    }
    twin.addEntry(CANARY, {
      timestamp: minute(2),
      textPayload: 'mint failed: sync_token_unavailable (redis)',
    });
    twin.addEntry(CANARY, { timestamp: minute(2), textPayload: 'mint ok' });
    const { counts } = await logging.countEntries({
      ...scope,
      revisions: [CANARY],
      filter: SYNC_TOKEN_ERRORS,
    });
    expect(counts[CANARY]?.count).toBe(4);
  });

  it('includes the window start and excludes its end', async () => {
    const filter = 'severity>=ERROR';
    twin.addEntry(CANARY, { timestamp: START, severity: 'ERROR' });
    twin.addEntry(CANARY, { timestamp: new Date(END.getTime() - 1), severity: 'CRITICAL' });
    twin.addEntry(CANARY, { timestamp: END, severity: 'ERROR' });
    twin.addEntry(CANARY, { timestamp: new Date(START.getTime() - 1), severity: 'ERROR' });
    twin.addEntry(CANARY, { timestamp: minute(5), severity: 'WARNING' });
    const { counts } = await logging.countEntries({ ...scope, revisions: [CANARY], filter });
    expect(counts[CANARY]?.count).toBe(2);
  });

  it('follows pages, and says when its page bound made the count a lower bound', async () => {
    const small = createCloudLogging({ target, pageSize: 10, retryDelayMs: 1 });
    try {
      twin.addEntries(CANARY, 25, (i) => ({ timestamp: minute(i / 10), severity: 'ERROR' }));
      const all = await small.countEntries({ ...scope, revisions: [CANARY], filter: 'severity=ERROR' });
      expect(all.counts[CANARY]).toMatchObject({ count: 25, complete: true, pages: 3 });
      expect(twin.recorder.requests[1]?.body).toMatchObject({ pageSize: 10, pageToken: expect.any(String) });

      twin.recorder.reset();
      const bounded = await small.countEntries({
        ...scope,
        revisions: [CANARY],
        filter: 'severity=ERROR',
        maxPages: 2,
      });
      expect(bounded.counts[CANARY]).toMatchObject({ count: 20, complete: false, pages: 2 });
      expect(twin.recorder.requests).toHaveLength(2);

      // exactly a full last page: complete, with no extra call
      twin.reset();
      twin.addEntries(CANARY, 20, { timestamp: minute(1), severity: 'ERROR' });
      const exact = await small.countEntries({
        ...scope,
        revisions: [CANARY],
        filter: 'severity=ERROR',
        maxPages: 2,
      });
      expect(exact.counts[CANARY]).toMatchObject({ count: 20, complete: true, pages: 2 });
    } finally {
      await small.close();
    }
  });

  it('reports a filter Cloud Logging cannot parse as invalid, with its words', async () => {
    const error = await logging
      .countEntries({ ...scope, revisions: [CANARY], filter: 'jsonPayload.event = ' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ system: 'logging', kind: 'invalid' });
    expect((error as Error).message).toMatch(/Unparseable filter: expected a value/);
  });

  it('refuses, before sending, a filter that could escape its parentheses', async () => {
    for (const filter of ['severity>=ERROR) OR (severity<ERROR', 'textPayload:"open', '   ']) {
      await expect(logging.countEntries({ ...scope, revisions: [CANARY], filter })).rejects.toMatchObject({
        kind: 'invalid',
      });
    }
    const backwards = { start: END, end: START };
    await expect(
      logging.countEntries({ ...scope, window: backwards, revisions: [CANARY], filter: 'severity>=ERROR' }),
    ).rejects.toMatchObject({ kind: 'invalid' });
    expect(twin.recorder.requests).toHaveLength(0);
  });
});

describe('auditEvents', () => {
  const EVENTS = ['auth.verify.completed', 'sync.token.issued', 'route.split.decision'];

  it('counts each named event, absent ones as zero', async () => {
    twin.auditEvent(CANARY, 'auth.verify.completed', minute(1));
    twin.auditEvent(CANARY, 'auth.verify.completed', minute(2));
    twin.auditEvent(CANARY, 'ROUTE.SPLIT.DECISION', minute(3)); // Logging matches regardless of case
    twin.auditEvent(CANARY, 'route.split.override', minute(3));
    twin.auditEvent(STABLE, 'sync.token.issued', minute(3)); // another revision
    twin.auditEvent(CANARY, 'sync.token.issued', minute(12)); // after the window

    const result = await logging.auditEvents({ ...scope, revisions: [CANARY], events: EVENTS });

    expect(result).toMatchObject({
      counts: { 'auth.verify.completed': 2, 'sync.token.issued': 0, 'route.split.decision': 1 },
      complete: true,
      pages: 1,
    });
    expect(result.filter).toBe(
      'resource.type="cloud_run_revision" AND resource.labels.service_name="svc" AND ' +
        `resource.labels.revision_name="${CANARY}" AND timestamp>="2026-11-20T10:00:00.000Z" AND ` +
        'timestamp<"2026-11-20T10:10:00.000Z" AND ' +
        'jsonPayload.event=("auth.verify.completed" OR "sync.token.issued" OR "route.split.decision")',
    );
  });

  it('reads every revision of the service when none is named, and a configured field', async () => {
    twin.addEntry(CANARY, { timestamp: minute(1), jsonPayload: { audit: { kind: 'route.split.decision' } } });
    twin.addEntry(STABLE, { timestamp: minute(1), jsonPayload: { audit: { kind: 'route.split.decision' } } });
    twin.addEntry(STABLE, { timestamp: minute(1), jsonPayload: { event: 'route.split.decision' } });
    const result = await logging.auditEvents({
      ...scope,
      revisions: [],
      events: ['route.split.decision'],
      field: 'jsonPayload.audit.kind',
    });
    expect(result.counts).toEqual({ 'route.split.decision': 2 });
    expect(result.filter).not.toContain('revision_name');
    expect(result.filter).toContain('jsonPayload.audit.kind="route.split.decision"');
  });

  it('stops listing once every event has enough entries for a presence check', async () => {
    const small = createCloudLogging({ target, pageSize: 5 });
    try {
      for (let i = 0; i < 30; i++) twin.auditEvent(CANARY, EVENTS[i % 3] as string, minute(i / 10));
      const present = await small.auditEvents({ ...scope, revisions: [CANARY], events: EVENTS, enough: 2 });
      expect(present).toMatchObject({ complete: false, pages: 2 });
      expect(Object.values(present.counts).every((count) => count >= 2)).toBe(true);

      const full = await small.auditEvents({ ...scope, revisions: [CANARY], events: EVENTS, maxPages: 10 });
      expect(full).toMatchObject({
        counts: { 'auth.verify.completed': 10, 'sync.token.issued': 10, 'route.split.decision': 10 },
        complete: true,
        pages: 6,
      });
    } finally {
      await small.close();
    }
  });

  it('refuses a field that is not a path', async () => {
    await expect(
      logging.auditEvents({
        ...scope,
        revisions: [CANARY],
        events: EVENTS,
        field: 'jsonPayload.event) OR (x',
      }),
    ).rejects.toMatchObject({ kind: 'invalid' });
  });
});

describe('failures', () => {
  const count = () => logging.countEntries({ ...scope, revisions: [CANARY], filter: 'severity>=ERROR' });

  it.each([
    [403, 'permission-denied', /roles\/logging\.viewer.*Permission 'logging\.logEntries\.list' denied/],
    [404, 'not-found', /not found/],
    [401, 'unauthorized', /credentials/],
    [400, 'invalid', /Invalid resource name/],
  ] as const)('maps %i to %s with what the API said', async (status, kind, message) => {
    const said: Record<number, string> = {
      403: "Permission 'logging.logEntries.list' denied on resource (or it may not exist).",
      400: 'Invalid resource name projects/p',
    };
    twin.recorder.inject({
      match: 'entries:list',
      status,
      ...(said[status] ? { message: said[status] } : {}),
    });
    const error = await count().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ system: 'logging', kind });
    expect((error as Error).message).toMatch(message);
  });

  it('retries an unavailable answer once, then succeeds', async () => {
    twin.addEntry(CANARY, { timestamp: minute(1), severity: 'ERROR' });
    twin.recorder.inject({ match: 'entries:list', status: 503 });
    const { counts } = await count();
    expect(counts[CANARY]?.count).toBe(1);
    expect(twin.recorder.requests).toHaveLength(2);
  });

  it('gives up as unavailable when 5xx persists', async () => {
    twin.recorder.inject({ match: 'entries:list', status: 500, times: 10 });
    await expect(count()).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringContaining('2 attempts'),
    });
  });

  it('reports a persistent 429 (the 60-a-minute read quota) as rate-limited', async () => {
    twin.recorder.inject({ match: 'entries:list', status: 429, retryAfter: 30, times: 10 });
    await expect(count()).rejects.toMatchObject({
      kind: 'rate-limited',
      message: expect.stringContaining('quota'),
    });
  });

  it('reports a slow answer as a timeout within the bound instead of hanging', async () => {
    const fast = createCloudLogging({ target, timeoutMs: 150, attempts: 1 });
    twin.recorder.inject({ match: 'entries:list', delayMs: 20_000 });
    const started = Date.now();
    await expect(
      fast.countEntries({ ...scope, revisions: [CANARY], filter: 'severity>=ERROR' }),
    ).rejects.toMatchObject({
      system: 'logging',
      kind: 'timeout',
      message: expect.stringContaining('150 ms'),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    await fast.close();
  });
});
