import { beforeAll, describe, expect, it } from 'vitest';
import type { Mrkdwn } from '../../src/blocks/message.ts';
import { parseCanary } from '../../src/commands/canary-args.ts';
import { parseDeploy } from '../../src/commands/deploy-args.ts';
import { parseIncident } from '../../src/commands/incident-args.ts';
import { parseRollback } from '../../src/commands/rollback-args.ts';
import { resolveScope } from '../../src/commands/scope.ts';
import { tokenize } from '../../src/commands/tokens.ts';

/** A result with its error as the text Slack receives. */
const plain = <T extends { ok: boolean }>(r: T) =>
  'error' in r ? { ...r, error: (r.error as Mrkdwn).text } : r;

import { loadConfig } from '../../src/config/index.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';

// The slash-command parsers against the example config (service `control`, staging and prod, #deploys).

let config: ShiftgateConfig;
beforeAll(async () => {
  config = await loadConfig('examples/shiftgate.yaml');
});
const DEPLOYS = { id: 'C0DEPLOYS', name: 'deploys' };

describe('tokenize', () => {
  it('groups quoted words, straight or typographic, and refuses an open quote', () => {
    expect(plain(tokenize('--reason "5xx spike" now'))).toEqual({
      ok: true,
      tokens: ['--reason', '5xx spike', 'now'],
    });
    expect(plain(tokenize('--reason “login broken”'))).toEqual({
      ok: true,
      tokens: ['--reason', 'login broken'],
    });
    expect(plain(tokenize("--reason 'it's'"))).toMatchObject({ ok: false });
    expect(plain(tokenize('--reason "oops'))).toEqual({
      ok: false,
      error: 'a quote is not closed: add the closing "',
    });
  });
});

describe('/canary', () => {
  it('start: the service may be left out; the tag is the word that names no service or environment', () => {
    expect(plain(parseCanary('start v1.42.0', config))).toEqual({
      ok: true,
      value: { sub: 'start', tag: 'v1.42.0', dryRun: false },
    });
    expect(plain(parseCanary('start control v1.42.0 prod --dry-run', config))).toEqual({
      ok: true,
      value: { sub: 'start', service: 'control', tag: 'v1.42.0', env: 'prod', dryRun: true },
    });
    expect(plain(parseCanary('start v1.42.0 prod', config))).toMatchObject({
      value: { tag: 'v1.42.0', env: 'prod' },
    });
  });

  it('says what was wrong with bad input', () => {
    expect(plain(parseCanary('start', config))).toEqual({
      ok: false,
      error: 'Give the image tag to deploy.',
    });
    expect(plain(parseCanary('start v1/42', config))).toMatchObject({
      ok: false,
      error: expect.stringContaining('Bad image tag `v1/42`'),
    });
    expect(plain(parseCanary('start v1 --force', config))).toMatchObject({
      ok: false,
      error: expect.stringContaining('Unknown flag `--force`'),
    });
    expect(plain(parseCanary('start control v1 prod extra', config))).toMatchObject({
      ok: false,
      error: expect.stringContaining('Unexpected `extra`'),
    });
    expect(plain(parseCanary('launch v1', config))).toMatchObject({
      ok: false,
      error: expect.stringContaining('Unknown subcommand `launch`'),
    });
    expect(plain(parseCanary('status --dry-run', config))).toMatchObject({
      ok: false,
      error: expect.stringContaining('--dry-run'),
    });
    expect(plain(parseCanary('list now', config))).toMatchObject({ ok: false });
  });

  it('status, pause, resume, promote take [service] [env]; abort takes a reason after them', () => {
    expect(plain(parseCanary('', config))).toEqual({ ok: true, value: { sub: 'help' } });
    expect(plain(parseCanary('pause control prod', config))).toEqual({
      ok: true,
      value: { sub: 'pause', service: 'control', env: 'prod' },
    });
    expect(plain(parseCanary('abort wrong tag', config))).toEqual({
      ok: true,
      value: { sub: 'abort', reason: 'wrong tag' },
    });
    expect(plain(parseCanary('abort control', config))).toEqual({
      ok: true,
      value: { sub: 'abort', service: 'control' },
    });
  });
});

describe('/rollback', () => {
  it('parses the whole form', () => {
    expect(
      parseRollback('control prod --to control-00041-abc --route-only --reason "5xx spike"', config),
    ).toEqual({
      ok: true,
      value: {
        sub: 'rollback',
        service: 'control',
        env: 'prod',
        toRevision: 'control-00041-abc',
        mode: 'route-only',
        reason: '5xx spike',
        dryRun: false,
      },
    });
    expect(plain(parseRollback('', config))).toEqual({ ok: true, value: { sub: 'help' } });
  });

  it('refuses a missing reason, an unquoted reason, both modes, a bad revision', () => {
    expect(plain(parseRollback('control', config))).toMatchObject({
      error: 'A rollback needs `--reason "&lt;what happened&gt;"`.',
    });
    expect(plain(parseRollback('control --reason 5xx spike', config))).toMatchObject({
      error: expect.stringContaining('in quotes'),
    });
    expect(
      plain(parseRollback('control --route-only --traffic-only --reason "x y z"', config)),
    ).toMatchObject({
      error: expect.stringContaining('exclude each other'),
    });
    expect(plain(parseRollback('control --to Bad_Rev --reason "x y z"', config))).toMatchObject({
      error: expect.stringContaining('Bad revision'),
    });
    expect(plain(parseRollback('control --reason', config))).toMatchObject({
      error: '`--reason` needs a value.',
    });
  });
});

describe('/incident and /deploy', () => {
  it('keeps note text as typed', () => {
    expect(plain(parseIncident('note restarted pod --force "a"', config))).toEqual({
      ok: true,
      value: { sub: 'note', text: 'restarted pod --force "a"' },
    });
    expect(plain(parseIncident('note', config))).toMatchObject({ ok: false });
    expect(plain(parseIncident('close all good', config))).toEqual({
      ok: true,
      value: { sub: 'close', summary: 'all good' },
    });
    expect(plain(parseIncident('open control prod login errors', config))).toEqual({
      ok: true,
      value: { sub: 'open', service: 'control', env: 'prod', summary: 'login errors' },
    });
    expect(plain(parseIncident('open nosuch errors', config))).toMatchObject({ ok: false });
  });

  it('lock needs a reason; unlock and locks', () => {
    expect(plain(parseDeploy('lock control prod release freeze', config))).toEqual({
      ok: true,
      value: { sub: 'lock', service: 'control', env: 'prod', reason: 'release freeze' },
    });
    expect(plain(parseDeploy('lock control', config))).toMatchObject({
      ok: false,
      error: expect.stringContaining('needs a reason'),
    });
    expect(plain(parseDeploy('unlock control staging', config))).toEqual({
      ok: true,
      value: { sub: 'unlock', service: 'control', env: 'staging' },
    });
    expect(plain(parseDeploy('locks', config))).toEqual({ ok: true, value: { sub: 'locks' } });
  });
});

describe('scope', () => {
  it('fills the service from the channel and the environment from the service default', () => {
    expect(plain(resolveScope(config, {}, DEPLOYS))).toEqual({
      ok: true,
      service: 'control',
      env: 'staging',
    });
    expect(plain(resolveScope(config, { env: 'prod' }, DEPLOYS))).toEqual({
      ok: true,
      service: 'control',
      env: 'prod',
    });
  });

  it('refuses an unknown service or environment with a hint, and a channel not allowed', () => {
    expect(plain(resolveScope(config, { service: 'contrl' }, DEPLOYS))).toMatchObject({
      error: expect.stringContaining('Did you mean `control`?'),
    });
    expect(plain(resolveScope(config, { service: 'control', env: 'qa' }, DEPLOYS))).toMatchObject({
      error: expect.stringContaining('Unknown environment `qa`'),
    });
    expect(plain(resolveScope(config, { service: 'control' }, { id: 'C0RANDOM', name: 'random' }))).toEqual({
      ok: false,
      error: '`control` in `staging` is run from #deploys, not from this channel.',
    });
    expect(plain(resolveScope(config, {}, { id: 'C0RANDOM', name: 'random' }))).toMatchObject({
      error: 'Name the service: no service runs from this channel.',
    });
  });
});
