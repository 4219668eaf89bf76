import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Sandbox, startSandbox } from '../../sandbox/sandbox.ts';

// The sandbox end to end, through its Slack page in Debian's Chromium (playwright-core; scripts/env.sh
// sg_provision_chromium installs it): the real sandbox (startSandbox, as `npm run sandbox` runs it), a
// person typing slash commands and clicking buttons, the bot answering through the Slack twin, traffic
// split by the Cloud Run twin. Every wait is on a condition (page text, twin state), bounded.
// Screenshots of the rollout card and the incident thread, and the stage charts the bot drew, go to
// reports/screenshots/. The run's folder (logs, config) is a fresh one under the temp dir, removed after
// a clean run and kept (and named) after a failure.

const CHROMIUM = process.env.SHIFTGATE_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'reports', 'screenshots');
const NOTE = 'Bad build: 503s from the new connection pool, Avery';

let sandbox: Sandbox;
let context: BrowserContext;
let page: Page;
let profile: string;
let runDir: string;
let failed = false;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  runDir = await mkdtemp(join(tmpdir(), 'shiftgate-sandbox-'));
  sandbox = await startSandbox({ runDir });
  profile = await mkdtemp(join(tmpdir(), 'shiftgate-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(30_000);
  page = await context.newPage();
  await page.goto(sandbox.pageUrl);
  await page.getByRole('button', { name: /Riley/ }).waitFor();
}, 120_000);

afterEach((test) => {
  if (test.task.result?.state === 'fail') failed = true;
});

afterAll(async () => {
  await context?.close();
  await sandbox?.stop();
  if (profile) await rm(profile, { recursive: true, force: true });
  if (!runDir) return;
  if (failed || !sandbox) console.error(`the sandbox's logs and config are kept in ${runDir}`);
  else await rm(runDir, { recursive: true, force: true });
}, 60_000);

const channel = () => page.locator('#messages');
const thread = () => page.locator('#thread-messages');

/** Switches the page to a person, as the user switcher in its header does. */
async function as(name: 'Riley' | 'Avery') {
  const button = page.getByRole('button', { name: new RegExp(`^${name} ·`) });
  await button.click();
  await page.locator(`#who button[aria-pressed="true"]`, { hasText: name }).waitFor();
}

/** Types into a composer and sends; waits until the page took it (the input is cleared). */
async function type(text: string, where: 'channel' | 'thread' = 'channel') {
  const input = page.locator(where === 'channel' ? '#compose' : '#thread-compose');
  await input.fill(text);
  await input.press('Enter');
  await expect.poll(() => input.inputValue(), { timeout: 15_000 }).toBe('');
}

/** A top-level message of #deploys holding `text`. */
const message = (text: string): Locator => channel().locator('.msg', { hasText: text }).first();

async function openThread(of: Locator) {
  await of.locator('button.replies').click();
  await page.locator('#thread').waitFor({ state: 'visible' });
}

/** Approves, as the person now shown, the approval request for `stage` in the open thread. */
async function approve(stage: string) {
  const request = thread()
    .locator('.msg', { hasText: `stage ${stage}` })
    .filter({
      has: page.locator('button[data-action-id="approval.approve"]'),
    });
  await request.waitFor({ timeout: 120_000 });
  await request.locator('button[data-action-id="approval.approve"]').click();
  // The request is edited once decided: its buttons go.
  await request.waitFor({ state: 'detached', timeout: 30_000 });
}

/** Approves, as the person now shown, the approval request of a train (cutover, flag canary) in the open thread. */
async function approveTrain() {
  const request = thread()
    .locator('.msg', { hasText: 'Approval needed' })
    .filter({ has: page.locator('button[data-action-id="approval.approve"]') });
  await request.waitFor({ timeout: 60_000 });
  await request.locator('button[data-action-id="approval.approve"]').click();
}

const twinService = () => sandbox.twins.cloudRun.service(sandbox.service);

/** The open thread's last chart of `stage`: shown as an image that loaded, and linked from its gate message. */
async function expectChart(stage: string) {
  const image = thread().locator(`img[data-file="chart-stage-${stage}.png"]`).last();
  await image.waitFor({ timeout: 60_000 });
  await expect
    .poll(() => image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth), {
      timeout: 15_000,
    })
    .toBeGreaterThan(1000);
  const gates = thread()
    .locator('.msg', { hasText: `Gates of stage ${stage} ` })
    .last();
  await gates.locator('text=chart of the stage').waitFor({ timeout: 15_000 });
}

/** The bytes of stage `stage`'s latest chart, as the bot uploaded them, into the screenshots folder. */
async function saveChart(stage: string, name: string) {
  const src = (await thread()
    .locator(`img[data-file="chart-stage-${stage}.png"]`)
    .last()
    .getAttribute('src')) as string;
  const bytes = await (await context.request.get(new URL(src, sandbox.pageUrl).toString())).body();
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  await writeFile(join(ARTIFACTS, name), bytes);
}

describe('the sandbox through its Slack page', () => {
  it('promotes a good build stage by stage, each shift approved by the approver', async () => {
    await as('Riley');
    await type('/canary start demo good');
    // Only the requester sees the command's answer.
    await channel().locator('.msg.ephemeral', { hasText: 'Started demo good in sandbox' }).waitFor();
    const card = message('Canary demo good → sandbox');
    await card.waitFor();
    await openThread(card);

    await as('Avery');
    await expect(channel().locator('.msg.ephemeral', { hasText: 'Started demo good' }).count()).resolves.toBe(
      0,
    );
    for (const stage of ['B', 'C', 'D', 'E']) await approve(stage);

    await card.locator('text=Promoted').first().waitFor({ timeout: 180_000 });
    const view = twinService();
    const canary = view.tags.canary as string;
    expect(sandbox.tagOf(view.revisions.find((r) => r.name === canary)?.image ?? '')).toBe('good');
    // Deployed by the digest its tag resolved to in Artifact Registry.
    expect(view.revisions.find((r) => r.name === canary)?.image).toContain('@sha256:');
    expect(view.split).toEqual({ [canary]: 100 });
    // The proxy follows the twin: the service URL's answers now all come from the new revision.
    await vi.waitFor(
      async () => {
        const response = await fetch(sandbox.proxy.url());
        expect(response.headers.get('x-served-by')).toBe(canary);
      },
      { timeout: 10_000 },
    );
    // Each gated stage's chart is in the thread, drawn (its image loaded), and its gate message links it.
    for (const stage of ['B', 'C', 'D', 'E']) await expectChart(stage);
    await saveChart('B', 'stage-chart.png');
    await card.screenshot({ path: join(ARTIFACTS, 'rollout-card.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'rollout-thread.png') });
  }, 300_000);

  it('rolls a bad build back by itself at the 5 % stage and opens an incident thread', async () => {
    const stable = twinService().tags.canary as string; // the good revision promoted above
    await as('Riley');
    await type('/canary start demo bad');
    const card = message('Canary demo bad → sandbox');
    await card.waitFor();
    await openThread(card);
    await as('Avery');
    await approve('B');

    await card.locator('text=Rolled back').waitFor({ timeout: 120_000 });
    await card.locator('text=a gate failed at stage B').waitFor();
    // The failed stage's chart: the canary's 5xx against stable, the bound, and where it failed.
    await expectChart('B');
    await saveChart('B', 'stage-chart-failed.png');
    await thread()
      .locator('figure.image')
      .last()
      .screenshot({ path: join(ARTIFACTS, 'stage-chart-thread.png') });
    expect(twinService().split).toEqual({ [stable]: 100 });
    const incident = message('Incident: demo sandbox');
    await incident.waitFor({ timeout: 30_000 });
    await incident.locator('text=Reply in this thread').waitFor();
    expect(await incident.innerText()).toContain('5xx rate');
  }, 180_000);

  it('takes a reply in the incident thread as a note of the incident report', async () => {
    const incident = message('Incident: demo sandbox');
    await openThread(incident);
    await type(NOTE, 'thread');
    await thread().locator('.msg', { hasText: NOTE }).waitFor();
    await type('/incident close', 'thread');

    const report = thread().locator('.file', { hasText: '.md' });
    await report.waitFor({ timeout: 60_000 });
    const href = (await report.locator('a').getAttribute('href')) as string;
    const markdown = await (await context.request.get(new URL(href, sandbox.pageUrl).toString())).text();
    expect(markdown).toContain('# Incident report: demo (sandbox)');
    expect(markdown).toContain(NOTE);
    await message('Resolved incident: demo sandbox').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'incident-thread.png') });
  }, 120_000);

  it('runs the stream cutover train live: smokes, approval, route flip, drill, dual-run; it passes', async () => {
    const revisions = twinService().revisions;
    const good = revisions.find((r) => sandbox.tagOf(r.image) === 'good')?.name as string;
    const first = revisions.find((r) => sandbox.tagOf(r.image) === 'v1')?.name as string;
    await as('Riley');
    await type(
      `/cutover stream demo ${first} ${good} --apply-route-flip --dual-run ${sandbox.legacyUrl} --live`,
    );
    const card = channel().locator('.msg', { hasText: 'Stream cutover: demo sandbox' }).last();
    await card.waitFor();
    await openThread(card);
    await as('Avery');
    await approveTrain();
    await card.locator('text=cutover passed every hard gate').waitFor({ timeout: 120_000 });
    expect(sandbox.twins.routeSplit.override).toBe('rust_shell');
    // The drill put back the split it found.
    expect(twinService().split).toEqual({ [good]: 100 });
    await thread().locator('.file', { hasText: 'SUMMARY.md' }).waitFor({ timeout: 60_000 });
    await card.screenshot({ path: join(ARTIFACTS, 'cutover-card.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'cutover-thread.png') });
  }, 240_000);

  it('fails the train at its first smokes while the bad build serves: it breaks the stream contract', async () => {
    const revisions = twinService().revisions;
    const good = revisions.find((r) => sandbox.tagOf(r.image) === 'good')?.name as string;
    const bad = revisions.find((r) => sandbox.tagOf(r.image) === 'bad')?.name as string;
    sandbox.twins.cloudRun.setTraffic(sandbox.service, [{ revision: bad, percent: 100 }]);
    await vi.waitFor(
      async () => expect((await fetch(sandbox.proxy.url())).headers.get('x-served-by')).toBe(bad),
      { timeout: 10_000 },
    );
    try {
      await as('Riley');
      await type(`/cutover stream demo ${good} ${bad} --apply-route-flip --live`);
      const card = channel().locator('.msg', { hasText: 'Stream cutover: demo sandbox' }).last();
      await card.locator('text=cutover failed').waitFor({ timeout: 60_000 });
      await openThread(card);
      await thread().locator('.msg', { hasText: 'Pre-cutover stream smokes' }).first().waitFor();
      expect(await thread().innerText()).toContain('finish-step');
      // Stopped before any change: nobody was asked, the route stays as the last train left it.
      expect(await thread().locator('.msg', { hasText: 'Approval needed' }).count()).toBe(0);
      expect(sandbox.twins.routeSplit.override).toBe('rust_shell');
    } finally {
      sandbox.twins.cloudRun.setTraffic(sandbox.service, [{ revision: good, percent: 100 }]);
    }
  }, 120_000);

  it('a flag canary whose flag switches the bad behaviour on turns it back off by itself', async () => {
    await as('Avery');
    await type('/flag signoff demo-flags https://ci.example.com/shadow-run/1');
    await channel().locator('.msg.ephemeral', { hasText: 'Signed off' }).waitFor();
    await as('Riley');
    await type('/flag canary demo-flags');
    const card = channel().locator('.msg', { hasText: 'Flag canary: demo-flags in sandbox' }).last();
    await card.waitFor();
    await openThread(card);
    await as('Avery');
    await approveTrain();
    await card.locator('text=CANARY FAILED').waitFor({ timeout: 90_000 });
    expect(await card.innerText()).toContain('golden_mismatch increased');
    expect(sandbox.twins.flags.flag('flags.faulty_pool.enabled')).toBe(false);
    await thread().locator('.file', { hasText: 'SUMMARY.md' }).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'flag-canary-thread.png') });
  }, 180_000);

  it('a harmless flag passes its canary and stays on', async () => {
    // The faulty minutes above are still in the error ratio's 10-second window: let them pass first.
    await vi.waitFor(() => expect(sandbox.proxy.traffic().reduce((n, r) => n + r.errors5xx, 0)).toBe(0), {
      timeout: 30_000,
      interval: 250,
    });
    await as('Riley');
    await type('/flag canary demo-greeting --watch 6s');
    const card = channel().locator('.msg', { hasText: 'Flag canary: demo-greeting in sandbox' }).last();
    await card.waitFor();
    await openThread(card);
    await as('Avery');
    await approveTrain();
    await card.locator('text=CANARY PASSED').waitFor({ timeout: 60_000 });
    expect(sandbox.twins.flags.flag('flags.friendly_greeting.enabled')).toBe(true);
  }, 120_000);
});
