import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLoggingFilter } from '../../sandbox/twins/logging/filter.ts';

// The Logging twin's filter evaluator: the subset it applies, how it binds (OR tighter than AND, as in
// AIP-160 and the Logging query language), and its loud refusals.

const entry = {
  logName: 'projects/p/logs/run.googleapis.com%2Frequests',
  resource: { type: 'cloud_run_revision', labels: { service_name: 'svc', revision_name: 'svc-00011-def' } },
  timestamp: '2026-11-20T10:05:00.000Z',
  severity: 'WARNING',
  labels: { 'k8s-pod/app': 'control', instanceId: 'abc' },
  httpRequest: { requestMethod: 'POST', requestUrl: '/api/auth/verify', status: 401, latency: '0.12s' },
  jsonPayload: {
    event: 'auth.verify.completed',
    outcome: 'failure',
    tags: ['a', 'b'],
    nested: { code: 'E42' },
  },
};

const matches = (filter: string, subject: Record<string, unknown> = entry) =>
  parseLoggingFilter(filter)(subject);

describe('the Logging filter subset', () => {
  it.each([
    ['resource.type="cloud_run_revision"', true],
    ['resource.labels.revision_name="SVC-00011-DEF"', true], // strings compare regardless of case
    ['resource.labels.revision_name="svc-00010-abc"', false],
    ['jsonPayload.event="auth.verify.completed" AND jsonPayload.outcome="failure"', true],
    ['jsonPayload.event="auth.verify.completed" jsonPayload.outcome="success"', false], // side by side: AND
    ['httpRequest.requestUrl:"/api/auth/"', true],
    ['httpRequest.requestUrl:"/API/AUTH"', true],
    ['httpRequest.status>=400', true],
    ['httpRequest.status<400', false],
    ['httpRequest.status=401', true],
    ['httpRequest.status!=401', false],
    ['severity>=WARNING', true],
    ['severity>=error', false],
    ['severity=WARNING', true],
    ['timestamp>="2026-11-20T10:00:00Z" AND timestamp<"2026-11-20T10:10:00Z"', true],
    ['timestamp>="2026-11-20T10:05:00.001Z"', false],
    ['jsonPayload.event=("sync.token.issued" OR "auth.verify.completed")', true],
    ['jsonPayload.event=("sync.token.issued" OR "route.split.decision")', false],
    ['jsonPayload.tags="b"', true], // any element of a list
    ['jsonPayload.nested:"e42"', true],
    ['jsonPayload:"E42"', true], // has on an object looks inside it
    ['jsonPayload.missing:*', false],
    ['jsonPayload.outcome:*', true],
    ['jsonPayload.missing="x"', false],
    ['NOT jsonPayload.missing="x"', true],
    ['-jsonPayload.missing="x"', true],
    ['-(severity>=ERROR OR httpRequest.status>=500)', true],
    ['jsonPayload.missing!="x"', false], // != needs the field
    ['labels."k8s-pod/app"="control"', true],
    ['labels.instanceId=~"^ab"', true],
    ['labels.instanceId!~"^ab"', false],
    ['httpRequest.latency:"0.12s"', true],
    ['', true],
    [
      '(jsonPayload.event="auth.verify.completed" AND jsonPayload.outcome="failure") OR (httpRequest.requestUrl:"/api/auth/" AND httpRequest.status>=400)',
      true,
    ],
  ])('%s -> %s', (filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });

  it('binds OR tighter than AND: a OR b AND c is (a OR b) AND c', () => {
    // a true, b false, c false: (a OR b) AND c is false; a OR (b AND c) would be true
    expect(matches('severity=WARNING OR severity=ERROR AND httpRequest.status=500')).toBe(false);
    expect(matches('httpRequest.status=500 AND severity=ERROR OR severity=WARNING')).toBe(false);
    expect(matches('severity=WARNING OR (severity=ERROR AND httpRequest.status=500)')).toBe(true);
  });

  it.each([
    ['"sync_token_unavailable"', /global restriction.*not supported by the twin/],
    ['sync_token_unavailable', /global restriction/],
    ['log_id("run.googleapis.com/requests")', /function log_id/],
    ['SEARCH("x")', /function SEARCH/],
    ['severity=ERROR and httpRequest.status=500', /upper case AND/],
    ['jsonpayload.event="x"', /unknown field "jsonpayload"/],
    ['foo="x"', /unknown field "foo"/],
    ['textPayload:"open', /Unparseable filter: unterminated string/],
    ['(severity=ERROR', /Unparseable filter: expected \)/],
    ['severity=ERROR)', /Unparseable filter: unexpected \)/],
    ['jsonPayload.event=', /Unparseable filter: expected a value/],
    ['jsonPayload.event=()', /Unparseable filter: empty value list/],
    ['timestamp>="yesterday"', /not a timestamp/],
    ['severity>=LOUD', /unknown severity/],
    ['labels.x=~"("', /bad regular expression/],
    ['severity=ERROR OR', /Unparseable filter: unexpected end/],
  ])('refuses %s', (filter, message) => {
    expect(() => parseLoggingFilter(filter)).toThrow(message);
    try {
      parseLoggingFilter(filter);
    } catch (error) {
      expect(error).toMatchObject({ code: 400 });
    }
  });

  // A reference evaluator over boolean trees of restrictions, against the parser's reading of the same
  // tree written out: fully parenthesized, and as a flat chain read with OR binding tighter.
  type Tree = { leaf: number } | { not: Tree } | { and: [Tree, Tree] } | { or: [Tree, Tree] };
  type Payload = { n: number; s: string };
  const LEAVES: [string, (e: Payload) => boolean][] = [
    ['jsonPayload.n>=3', (e) => e.n >= 3],
    ['jsonPayload.n=1', (e) => e.n === 1],
    ['jsonPayload.s:"ab"', (e) => e.s.toLowerCase().includes('ab')],
    ['jsonPayload.s="xyz"', (e) => e.s.toLowerCase() === 'xyz'],
  ];
  const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ leaf: fc.integer({ min: 0, max: LEAVES.length - 1 }) }),
      fc.record({ not: tie('tree') }),
      fc.record({ and: fc.tuple(tie('tree'), tie('tree')) }),
      fc.record({ or: fc.tuple(tie('tree'), tie('tree')) }),
    ),
  })).tree;
  const write = (t: Tree): string =>
    'leaf' in t
      ? leafText(t.leaf)
      : 'not' in t
        ? `NOT (${write(t.not)})`
        : 'and' in t
          ? `(${write(t.and[0])}) AND (${write(t.and[1])})`
          : `(${write(t.or[0])}) OR (${write(t.or[1])})`;
  const truth = (t: Tree, e: Payload): boolean =>
    'leaf' in t
      ? leafTruth(t.leaf, e)
      : 'not' in t
        ? !truth(t.not, e)
        : 'and' in t
          ? truth(t.and[0], e) && truth(t.and[1], e)
          : truth(t.or[0], e) || truth(t.or[1], e);
  const leafText = (i: number) => (LEAVES[i] as [string, (e: Payload) => boolean])[0];
  const leafTruth = (i: number, e: Payload) => (LEAVES[i] as [string, (e: Payload) => boolean])[1](e);
  const payload = fc.record({
    n: fc.integer({ min: 0, max: 4 }),
    s: fc.constantFrom('xyz', 'ab', 'XABY', 'q'),
  });

  it('agrees with a reference evaluator on parenthesized trees', () => {
    fc.assert(
      fc.property(tree, payload, (t, e) => {
        expect(matches(write(t), { jsonPayload: e })).toBe(truth(t, e));
      }),
      { numRuns: 300, seed: 160 },
    );
  });

  it('reads a flat chain with OR binding tighter than AND, and NOT tightest', () => {
    const chain = fc.array(
      fc.record({
        negate: fc.boolean(),
        leaf: fc.integer({ min: 0, max: LEAVES.length - 1 }),
        joiner: fc.constantFrom('AND', 'OR'),
      }),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(chain, payload, (items, e) => {
        const text = items
          .map(
            (item, i) =>
              `${i > 0 ? `${item.joiner} ` : ''}${item.negate ? 'NOT ' : ''}${leafText(item.leaf)}`,
          )
          .join(' ');
        // Split at AND into groups, each group an OR of its terms.
        const groups: boolean[][] = [[]];
        items.forEach((item, i) => {
          if (i > 0 && item.joiner === 'AND') groups.push([]);
          const value = leafTruth(item.leaf, e);
          (groups.at(-1) as boolean[]).push(item.negate ? !value : value);
        });
        expect(matches(text, { jsonPayload: e })).toBe(groups.every((group) => group.some(Boolean)));
      }),
      { numRuns: 300, seed: 160 },
    );
  });
});
