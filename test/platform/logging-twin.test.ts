import { beforeEach, describe, expect, it } from 'vitest';
import { createLoggingTwin, INSTANT_LOGS } from '../../sandbox/twins/logging/index.ts';
import { useTwins } from '../helpers/msw.ts';

// The Logging twin on the wire: entries:list as Cloud Logging answers it, and what it refuses.

const twin = createLoggingTwin(INSTANT_LOGS);
useTwins(...twin.handlers);
beforeEach(() => twin.reset());

async function list(body: Record<string, unknown>, query = '') {
  const response = await fetch(`http://logging.twin/v2/entries:list${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const at = (minutes: number) => new Date(Date.parse('2026-11-20T10:00:00Z') + minutes * 60_000);

describe('answers', () => {
  it('lists LogEntry JSON as Cloud Run writes it, in the order asked', async () => {
    const request = twin.recordRequest('r1', {
      method: 'POST',
      url: '/api/auth/verify',
      status: 401,
      latencyMs: 123,
      at: at(2),
    });
    const audit = twin.auditEvent('r1', 'sync.token.issued', at(1), { scope: 'runtime' });
    const { status, body } = await list({ resourceNames: ['projects/p'], orderBy: 'timestamp desc' });
    expect(status).toBe(200);
    expect(body).toEqual({ entries: [request, audit] });
    expect(request).toMatchObject({
      logName: 'projects/p/logs/run.googleapis.com%2Frequests',
      resource: { type: 'cloud_run_revision', labels: { service_name: 'svc', revision_name: 'r1' } },
      severity: 'WARNING',
      httpRequest: { requestMethod: 'POST', requestUrl: '/api/auth/verify', status: 401, latency: '0.123s' },
    });
    expect(audit).toMatchObject({
      logName: 'projects/p/logs/run.googleapis.com%2Fstdout',
      jsonPayload: { event: 'sync.token.issued', scope: 'runtime' },
    });
  });

  it('pages with tokens tied to their query, and sends severity as a number when asked', async () => {
    twin.addEntries('r1', 3, (i) => ({ timestamp: at(i), severity: 'ERROR', textPayload: `line ${i}` }));
    const first = await list(
      { resourceNames: ['projects/p'], pageSize: 2 },
      '?$alt=json%3Benum-encoding=int',
    );
    expect((first.body.entries as { severity: unknown }[]).map((e) => e.severity)).toEqual([500, 500]);
    const token = first.body.nextPageToken as string;
    const second = await list({ resourceNames: ['projects/p'], pageSize: 2, pageToken: token });
    expect(second.body).toEqual({ entries: [expect.objectContaining({ textPayload: 'line 2' })] });
    const other = await list({
      resourceNames: ['projects/p'],
      pageSize: 2,
      pageToken: token,
      filter: 'severity=ERROR',
    });
    expect(other).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringMatching(/page token/) } },
    });
  });

  it('keeps to the projects named', async () => {
    twin.addEntry('r1', { project: 'other', textPayload: 'x' });
    expect((await list({ resourceNames: ['projects/p'] })).body).toEqual({});
    expect(((await list({ resourceNames: ['projects/other'] })).body.entries as unknown[]).length).toBe(1);
  });
});

describe('refuses loudly', () => {
  it.each([
    [{ resourceNames: ['projects/p'], filter: 'severity=ERROR or severity=INFO' }, /upper case AND, OR, NOT/],
    [{ resourceNames: ['projects/p'], filter: '"free text"' }, /global restriction/],
    [{ resourceNames: ['projects/p'], pageSize: 1_001 }, /pageSize must be between 0 and 1000/],
    [{ resourceNames: ['projects/p'], orderBy: 'severity' }, /orderBy/],
    [{ resourceNames: [] }, /at least one resource name/],
    [{ resourceNames: ['organizations/1'] }, /projects\/P only/],
    [{ resourceNames: ['projects/p'], projectIds: ['p'] }, /Unknown name "projectIds"/],
    [{ resourceNames: ['projects/p'], filter: 'x'.repeat(20_001) }, /longer than 20000/],
  ])('%j', async (body, message) => {
    const answer = await list(body);
    expect(answer).toMatchObject({
      status: 400,
      body: { error: { code: 400, status: 'INVALID_ARGUMENT', message: expect.stringMatching(message) } },
    });
  });
});
