import { HttpResponse, http } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import type { TwinMessage } from '../../sandbox/twins/slack/state.ts';
import { createStorageTwin } from '../../sandbox/twins/storage/index.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';
import { reportSinkOf } from '../../src/platform/reports/index.ts';
import { TSV_COLUMNS } from '../../src/reports/validation-tsv.ts';
import type { ReportSink } from '../../src/runbooks/ports/report-sink.ts';
import type { UseCaseDeps } from '../../src/runbooks/use-cases/deps.ts';
import { goRefusal } from '../../src/runbooks/use-cases/go.ts';
import { createValidationRecords, type ValidationRun } from '../../src/validation/index.ts';
import { CHANNEL, textsOf } from '../helpers/slack-world.ts';
import { runIdOf, useValidationSlack } from './slack-bot.ts';
import {
  PROD,
  PROD_CONTROL_REVISION,
  PROD_CONTROL_URL,
  prodServices,
  seedBoth,
  twoEnvConfig,
} from './two-envs.ts';
import {
  CONTROL_REVISION,
  CONTROL_URL,
  DEPLOYER,
  OUTSIDER,
  PROJECT,
  secrets,
  useValidationWorld,
} from './world.ts';

// `/validate staging prod` through Slack down to the twins: one run over both matrices (one id, one card,
// one results.tsv and SUMMARY.md, every row with its environment, a verdict per environment and one
// overall), the claims of both environments taken together, the files kept in each environment's report
// sinks (Cloud Storage twin, through the real client library; one write when both share a sink), a sink
// that fails said in the thread without losing the Slack files, and /report fetching the run back.

const SHARED = 'shiftgate-reports-shared';
const STAGING_BUCKET = 'shiftgate-reports-staging';
const PROD_BUCKET = 'shiftgate-reports-prod';
const storage = createStorageTwin({ buckets: [SHARED, STAGING_BUCKET, PROD_BUCKET] });
const {
  slack,
  world,
  start,
  type: typeAs,
  verdictCard,
} = useValidationSlack((handlers) => useValidationWorld('validation-envs', handlers), {
  handlers: [...storage.handlers, ...prodServices.handlers],
  reset: () => storage.reset(),
});

/** Each environment's sink as the bot builds it (platform.ts): from its `reports` config, once. */
function sinksOf(config: ShiftgateConfig) {
  const built = new Map<string, Promise<ReportSink | undefined>>();
  return (env: string) => {
    let sink = built.get(env);
    if (!sink) {
      sink = reportSinkOf(config.environments[env]?.reports, {
        google: { projectId: PROJECT, endpoint: { host: 'storage.twin', port: 80, protocol: 'http' } },
        secrets,
        gcs: { maxRetries: 0 },
      });
      built.set(env, sink);
    }
    return sink;
  };
}

const startBot = (config: ShiftgateConfig) => start(config, sinksOf(config));

/** Types `/<command> <text>` as `userId` in #deploys: the ack's text, or the first reply's. */
const type = async (userId: string, text: string, command?: string) =>
  (await typeAs(userId, text, command)).text;

const finishedCard = (runId: string) => verdictCard(runId, /: (GO|NO-GO|BASELINE)/, 20_000);

/** The files in the card's thread once both are uploaded, by name. */
function threadFiles(card: TwinMessage) {
  return vi.waitFor(
    () => {
      const files = slack.files().filter((f) => f.thread_ts === card.ts && f.completed);
      expect(files.map((f) => f.name).sort()).toEqual(['SUMMARY.md', 'results.tsv']);
      return Object.fromEntries(files.map((f) => [f.name, f.content ?? '']));
    },
    { timeout: 10_000, interval: 20 },
  );
}

const uploadsTo = (bucket: string) =>
  storage.recorder.requests.filter((r) => r.method === 'POST' && r.path.includes(`/b/${bucket}/o`)).length;

describe('/validate staging prod', () => {
  it('runs both matrices as one run: rows per environment, a verdict for each, the files kept once in the shared sink', async () => {
    seedBoth(world);
    prodServices.state.ready = false; // prod's readyz answers 503; staging's is fine
    const shared = { gcs: { bucket: SHARED, prefix: 'shiftgate-reports/' } };
    const config = twoEnvConfig({ staging: shared, prod: shared, requireGo: true });
    await startBot(config);

    const answer = await type(DEPLOYER, 'staging prod');
    expect(answer).toMatch(
      /^Validation of `staging` and `prod` started: `val-staging-prod-\d{8}T\d{6}-[0-9a-f]{4}`, 10 checks\./,
    );
    const runId = runIdOf(answer);
    const card = await finishedCard(runId);
    expect(card.text).toBe(
      'Validation of staging + prod: NO-GO (staging GO, prod NO-GO): 9 of 10 checks passed',
    );
    const cardText = textsOf(card.blocks).join('\n');
    expect(cardText).toContain(':large_green_circle: *staging: GO*.');
    expect(cardText).toContain(':red_circle: *prod: NO-GO*.');
    expect(cardText).toContain('*control-health / readyz* (control in prod, required)');
    // Each environment read its own service: prod's canary status saw prod's revision, staging's its own.
    const files = await threadFiles(card);
    const [head, ...rows] = (files['results.tsv'] as string).trimEnd().split('\n');
    expect(head).toBe(TSV_COLUMNS.join('\t'));
    expect(rows.map((r) => r.split('\t').slice(0, 3).join(' '))).toEqual([
      'staging control-health healthz',
      'staging control-health readyz',
      'staging runtime-health healthz',
      'staging migration-drift migration-drift',
      'staging canary-status canary-status',
      'prod control-health healthz',
      'prod control-health readyz',
      'prod runtime-health healthz',
      'prod migration-drift migration-drift',
      'prod canary-status canary-status',
    ]);
    const cell = (env: string, check: string, column: (typeof TSV_COLUMNS)[number]) =>
      rows.map((r) => r.split('\t')).find((r) => r[0] === env && r[2] === check)?.[
        TSV_COLUMNS.indexOf(column)
      ];
    expect(cell('staging', 'readyz', 'status')).toBe('pass');
    expect(cell('prod', 'readyz', 'status')).toBe('fail');
    expect(cell('prod', 'readyz', 'evidence')).toContain(`${PROD_CONTROL_URL}/readyz`);
    expect(cell('staging', 'readyz', 'evidence')).toContain(`${CONTROL_URL}/readyz`);
    expect(cell('prod', 'canary-status', 'observed')).toContain(PROD_CONTROL_REVISION);
    expect(cell('staging', 'canary-status', 'observed')).toContain(CONTROL_REVISION);
    const summary = files['SUMMARY.md'] as string;
    expect(summary.split('\n')[0]).toBe('# Validation matrix: staging + prod');
    expect(summary).toContain('**NO-GO (staging GO, prod NO-GO).**');
    expect(summary).toContain('## Verdict per environment');
    expect(summary).toContain('| `prod` | `control-health` | `readyz` | `control` | required | **FAIL** |');

    // Kept beyond Redis once (both environments share the sink), with the same bytes as the thread's files,
    // and the thread links the copy before the files come.
    const prefix = `shiftgate-reports/${runId}/`;
    expect(storage.names(SHARED, prefix)).toEqual([`${prefix}SUMMARY.md`, `${prefix}results.tsv`]);
    expect(storage.object(SHARED, `${prefix}results.tsv`)?.text).toBe(files['results.tsv']);
    expect(storage.object(SHARED, `${prefix}results.tsv`)?.contentType).toContain(
      'text/tab-separated-values',
    );
    expect(storage.object(SHARED, `${prefix}SUMMARY.md`)?.text).toBe(summary);
    expect(uploadsTo(SHARED)).toBe(2);
    const thread = slack.thread(card.channel, card.ts);
    expect(thread.map((m) => m.text)).toEqual([
      `Report kept: ${runId}`,
      `results.tsv and SUMMARY.md of validation run ${runId} (staging + prod): NO-GO (staging GO, prod NO-GO)`,
    ]);
    const line = textsOf(thread[0]?.blocks).join('\n');
    expect(line).toContain(`gs://${SHARED}/${prefix}results.tsv`);
    expect(line).toContain(`/report ${runId}`);

    // The GO history: the run is in each environment's, with each one's own verdict. Staging passed, so a
    // prod canary that needs a staging GO may start, though prod itself said NO-GO.
    const records = createValidationRecords(world.store.redis, world.store.keys);
    const [stagingRun] = await records.recent('staging');
    const [prodRun] = await records.recent(PROD);
    expect(stagingRun?.id).toBe(runId);
    expect(prodRun?.id).toBe(runId);
    expect(stagingRun?.verdicts?.staging?.outcome).toBe('go');
    expect(prodRun?.verdicts?.prod?.outcome).toBe('no-go');
    const deps = { config, validations: records, now: () => new Date() } as unknown as UseCaseDeps;
    expect(await goRefusal(deps, PROD)).toBeUndefined();
    const audit = (await world.store.audit.read()).entries.find((e) => e.what === 'validation.finish');
    expect(audit).toMatchObject({ env: 'staging,prod' });
    expect(audit?.after).toMatchObject({ outcomes: { staging: 'go', prod: 'no-go' } });

    // Past Redis' 90 days: /report finds it in the sink.
    await world.store.redis.del(world.store.keys.validation(runId));
    const fetched = await type(OUTSIDER, runId, '/report');
    expect(fetched).toContain(`Report \`${runId}\``);
    expect(fetched).toContain('results.tsv');
    expect(fetched).toContain('# Validation matrix: staging + prod');
  });

  it('a baseline run over both never counts as a GO', async () => {
    seedBoth(world);
    const config = twoEnvConfig({ requireGo: true });
    await startBot(config);
    const runId = runIdOf(await type(DEPLOYER, 'staging prod --baseline'));
    const card = await finishedCard(runId);
    expect(card.text).toMatch(
      /^Validation of staging \+ prod: BASELINE, not a gate \(would be GO\) \(staging would be GO, prod would be GO\)/,
    );
    const records = createValidationRecords(world.store.redis, world.store.keys);
    const deps = { config, validations: records, now: () => new Date() } as unknown as UseCaseDeps;
    expect(await goRefusal(deps, PROD)).toContain('there is none on record');
  });

  it("writes each environment's own sink; one that fails is said in the thread, the Slack files still come, and /validate files keeps them again", async () => {
    seedBoth(world);
    const config = twoEnvConfig({
      staging: { gcs: { bucket: STAGING_BUCKET, prefix: 'validation/' } },
      prod: { gcs: { bucket: PROD_BUCKET, prefix: 'validation/' } },
    });
    await startBot(config);
    // Prod's bucket refuses both files once (403: not retried).
    storage.recorder.inject({ match: `POST /upload/storage/v1/b/${PROD_BUCKET}/o`, status: 403, times: 2 });
    const runId = runIdOf(await type(DEPLOYER, 'staging prod'));
    const card = await finishedCard(runId);
    expect(card.text).toMatch(/^Validation of staging \+ prod: GO/);
    await threadFiles(card);
    expect(storage.names(STAGING_BUCKET, `validation/${runId}/`)).toHaveLength(2);
    expect(storage.names(PROD_BUCKET, `validation/${runId}/`)).toEqual([]);
    const [line] = slack.thread(card.channel, card.ts);
    const said = textsOf(line?.blocks).join('\n');
    expect(said).toContain(
      `• staging: <https://storage.cloud.google.com/${STAGING_BUCKET}/validation/${runId}/results.tsv`,
    );
    expect(said).toContain(':warning: Not kept: prod: results.tsv: Cloud Storage: writing');
    expect(said).not.toContain('• prod:');

    // Asked again: both sinks hold the files, the same line now links both, and nothing is duplicated.
    const again = await type(OUTSIDER, `files ${runId}`);
    expect(again).toContain(`results.tsv and SUMMARY.md of \`${runId}\` are in its thread`);
    expect(storage.names(PROD_BUCKET, `validation/${runId}/`)).toHaveLength(2);
    const thread = slack.thread(card.channel, card.ts);
    const lines = thread.filter((m) => m.text.startsWith('Report'));
    expect(lines).toHaveLength(1);
    const now = textsOf(lines[0]?.blocks).join('\n');
    expect(now).toContain(`gs://${PROD_BUCKET}/validation/${runId}/SUMMARY.md`);
    expect(now).not.toContain('Not kept');
  });

  it('takes the claims of both environments together, or none', async () => {
    seedBoth(world);
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    world.server.use(
      http.get(`${CONTROL_URL}/healthz`, async () => {
        await released;
        return HttpResponse.text('ok');
      }),
    );
    await startBot(twoEnvConfig());
    const first = runIdOf(await type(DEPLOYER, 'staging'));
    const both = await type(DEPLOYER, 'staging prod');
    expect(both).toContain(`A validation of \`staging\` is already running: \`${first}\``);
    // Prod was not claimed by the refused run: it runs on its own meanwhile.
    expect(await world.store.redis.get(world.store.keys.validationRunning(PROD))).toBeNull();
    const prodOnly = runIdOf(await type(DEPLOYER, 'prod'));
    expect(prodOnly).toMatch(/^val-prod-/);
    await finishedCard(prodOnly);
    release();
    await finishedCard(first);
  });

  it('answers a name given twice or unknown with the known environments, and runs nothing', async () => {
    await startBot(twoEnvConfig());
    expect(await type(DEPLOYER, 'staging staging')).toContain(
      '`staging` is named twice: name each environment once, e.g. `/validate staging prod`. Known environments: `staging`, `prod`.',
    );
    expect(await type(DEPLOYER, 'staging qa')).toContain(
      'Unknown environment `qa`. Known environments: `staging`, `prod`.',
    );
    expect(slack.channel(slack.channelId(CHANNEL))).toEqual([]);
    expect(await world.store.redis.keys(`${world.store.keys.prefix}validation*`)).toEqual([]);
  });
});

describe('validation runs kept before runs covered several environments', () => {
  it('read as runs of their one environment', async () => {
    const legacy = {
      id: 'val-staging-20261130T101500-1a2b',
      env: 'staging',
      mode: 'gating',
      requestedBy: DEPLOYER,
      status: 'finished',
      startedAt: '2026-11-30T10:15:00.000Z',
      description: 'old',
      targets: [],
      plan: [{ lane: 'a', kind: 'gates', check: 'healthz', service: 'control', required: true }],
      results: [],
      verdict: { mode: 'gating', outcome: 'go', counts: {}, reasons: [], warnings: [] },
    };
    await world.store.redis.set(world.store.keys.validation(legacy.id), JSON.stringify(legacy));
    const run = (await createValidationRecords(world.store.redis, world.store.keys).get(
      legacy.id,
    )) as ValidationRun;
    expect(run).toMatchObject({ envs: ['staging'], descriptions: { staging: 'old' } });
    expect(run.plan[0]?.env).toBe('staging');
    expect('env' in run).toBe(false);
  });
});
