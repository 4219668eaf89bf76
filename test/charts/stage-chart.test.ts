import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { chartFont, renderChartPng, stageChart, stageCharts } from '../../src/charts/index.ts';
import { COLORS } from '../../src/charts/spec.ts';
import { rolloutSummary } from '../../src/reports/rollout-summary.ts';
import { summaryMarkdown } from '../../src/reports/summary-md.ts';
import { Canary } from '../blocks/fixtures.ts';
import { watchedStageB } from './fixtures.ts';

// The stage chart: its data comes from the ticks the rollout record keeps, and the PNG it becomes is
// decoded here and looked at: its size, and the colours of the canary, stable, the limit and the band
// where the panels are. It is drawn with no font at all too (a fresh machine), only without its words.

type Rgb = readonly [number, number, number];

const hex = (color: string): Rgb => [1, 3, 5].map((i) => Number.parseInt(color.slice(i, i + 2), 16)) as never;
/** The canary's colour at the band's opacity over white. */
const BAND: Rgb = hex(COLORS.canary).map((c) => Math.round(255 - 0.18 * (255 - c))) as never;

function decode(png: Uint8Array): PNG {
  return PNG.sync.read(Buffer.from(png));
}

/** Pixels within `tolerance` of `color` in rows [top, bottom) (fractions of the height). */
function count(image: PNG, color: Rgb, rows: [number, number] = [0, 1], tolerance = 24): number {
  let n = 0;
  const from = Math.floor(rows[0] * image.height);
  const to = Math.floor(rows[1] * image.height);
  for (let y = from; y < to; y++) {
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 4;
      const d = Math.max(
        Math.abs((image.data[i] as number) - color[0]),
        Math.abs((image.data[i + 1] as number) - color[1]),
        Math.abs((image.data[i + 2] as number) - color[2]),
      );
      if (d <= tolerance) n++;
    }
  }
  return n;
}

/** Near-black pixels: the title, the labels and the legend's words. */
const dark = (image: PNG) => count(image, [0, 0, 0], [0, 1], 60);

describe('stageChart', () => {
  it('draws every comparing gate of the stage from its ticks, at the end of the data each tick judged', () => {
    const state = watchedStageB();
    const chart = stageChart(state, 1);
    expect(chart?.file).toBe('chart-stage-B.png');
    expect(chart?.title).toBe('control v1.42.0: stage B (5 %), canary vs stable');
    expect(chart?.subtitle).toMatch(/^passed · 10 ticks from 10:0\dZ · canary control-00042-new vs stable/);
    expect(chart?.panels.map((p) => [p.gate, p.kind, p.unit])).toEqual([
      ['error-rate', 'error-rate', '%'],
      ['latency-p95', 'latency', 'ms'],
      ['auth-verify-errors', 'error-logs', '%'],
    ]);
    const rate = chart?.panels[0];
    expect(rate?.points).toHaveLength(10);
    // Stage B's traffic was confirmed at minute 0; tick n judged data through minute n.
    expect(chart?.timeUnit).toBe('minutes');
    expect(rate?.points.map((p) => p.at)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(rate?.points[0]).toMatchObject({ stable: 0.3, limit: 1, status: 'pass' });
    expect(rate?.points[0]?.low).toBeLessThan(rate?.points[0]?.canary as number);
    expect(rate?.points[0]?.high).toBeGreaterThan(rate?.points[0]?.canary as number);
    // A panel whose metric names its gate already is titled by the metric alone.
    expect(chart?.panels.map((p) => p.title)).toEqual([
      'error-rate: 5xx rate',
      'latency-p95: p95 latency',
      'auth-verify-errors: auth verify errors per request',
    ]);
  });

  it('counts seconds on a stage watched for seconds (the sandbox)', () => {
    const state = watchedStageB();
    const stage = state.stages[1];
    if (!stage?.startedAt) throw new Error('no stage B');
    const start = Date.parse(stage.startedAt);
    // The same ticks, five seconds apart.
    const fast: typeof state = {
      ...state,
      stages: state.stages.map((s, i) =>
        i !== 1
          ? s
          : {
              ...s,
              ticks: s.ticks.map((tick, n) =>
                tick.map((r) => ({ ...r, dataThrough: new Date(start + 5_000 * (n + 1)).toISOString() })),
              ),
            },
      ),
    };
    const chart = stageChart(fast, 1);
    expect(chart?.timeUnit).toBe('seconds');
    expect(chart?.panels[0]?.points.map((p) => p.at)).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
  });

  it('has nothing to draw for a stage of probes only, or one not watched yet', () => {
    const state = watchedStageB();
    expect(stageChart(state, 0)).toBeUndefined(); // stage A: smoke checks
    expect(stageChart(state, 2)).toBeUndefined();
    expect(stageCharts(state).map((c) => c.stage)).toEqual([1]);
    const plain = new Canary().deploy().approveAll().shifted().checked().tick().state;
    expect(stageChart(plain, 1)).toBeUndefined(); // results without a plot
  });
});

describe('renderChartPng', () => {
  it('is a small PNG of the panels: canary, stable, the limit and the band in the top panel', async () => {
    const chart = stageChart(watchedStageB(), 1);
    if (!chart) throw new Error('no chart');
    const out = await renderChartPng(chart);
    const image = decode(out.png);
    expect([image.width, image.height]).toEqual([out.width, out.height]);
    expect(image.width).toBeGreaterThan(1000);
    expect(image.width).toBeLessThan(1800);
    expect(image.height).toBeGreaterThan(800);
    expect(image.height).toBeLessThan(1600);
    expect(out.png.byteLength).toBeLessThan(300_000);
    // Mostly the white background.
    expect(count(image, [255, 255, 255], [0, 1], 2)).toBeGreaterThan(0.6 * image.width * image.height);
    const top: [number, number] = [0.08, 0.33];
    expect(count(image, hex(COLORS.canary), top)).toBeGreaterThan(500);
    expect(count(image, hex(COLORS.stable), top)).toBeGreaterThan(500);
    expect(count(image, hex(COLORS.limit), top)).toBeGreaterThan(300);
    expect(count(image, BAND, top, 6)).toBeGreaterThan(20_000);
    // The other panels: latency, and errors in the logs (where the canary, drawn last, covers stable).
    expect(count(image, hex(COLORS.canary), [0.33, 0.6])).toBeGreaterThan(500);
    expect(count(image, hex(COLORS.stable), [0.33, 0.6])).toBeGreaterThan(500);
    expect(count(image, hex(COLORS.limit), [0.33, 0.6])).toBeGreaterThan(300);
    expect(count(image, hex(COLORS.canary), [0.6, 0.9])).toBeGreaterThan(500);
    if (out.font) expect(dark(image)).toBeGreaterThan(2_000); // its words, where a font is installed
  });

  it('marks the ticks where the gate failed with a red dot on the canary', async () => {
    const bad = stageChart(watchedStageB({ bad: true }), 1);
    if (!bad) throw new Error('no chart');
    expect(bad.subtitle).toMatch(/^failed · 9 ticks/);
    expect(bad.panels[0]?.points.at(-1)?.status).toBe('fail');
    // The same chart with every tick passing: the dot is the difference.
    const unmarked = {
      ...bad,
      panels: bad.panels.map((p) => ({
        ...p,
        points: p.points.map((pt) => ({ ...pt, status: 'pass' as const })),
      })),
    };
    const top: [number, number] = [0.08, 0.33];
    const red = async (chart: typeof bad) =>
      count(decode((await renderChartPng(chart)).png), hex(COLORS.limit), top, 10);
    expect(await red(bad)).toBeGreaterThan((await red(unmarked)) + 120);
  });

  it('draws without any font, only without its words, where the machine has none', async () => {
    const chart = stageChart(watchedStageB(), 1);
    if (!chart) throw new Error('no chart');
    const bare = await renderChartPng(chart, { fonts: [], loadSystemFonts: false });
    expect(bare.font).toBeUndefined();
    const image = decode(bare.png);
    expect(image.width).toBeGreaterThan(1000);
    expect(count(image, hex(COLORS.canary), [0.08, 0.33])).toBeGreaterThan(500);
    expect(dark(image)).toBeLessThan(500);
    // The bundled DejaVu Sans: words on every machine, the production image's included.
    expect(chartFont()).toBe('DejaVu Sans');
    const worded = decode((await renderChartPng(chart)).png);
    expect(dark(worded)).toBeGreaterThan(dark(image) + 2_000);
  });
});

describe('the evidence report', () => {
  it('names each stage chart in summary.json and shows it in SUMMARY.md beside the ticks it draws', () => {
    const summary = rolloutSummary({ state: watchedStageB({ bad: true }) });
    expect(summary.stages.map((st) => [st.name, st.chart])).toEqual([
      ['A', null],
      ['B', 'chart-stage-B.png'],
      ['C', null],
      ['D', null],
      ['E', null],
    ]);
    const tick = summary.stages[1]?.ticks[0]?.results.find((r) => r.gate === 'error-rate');
    expect(tick?.plot).toMatchObject({ panel: 'error-rate', limit: 1 });
    const md = summaryMarkdown(summary);
    expect(md).toContain('![Stage B: canary vs stable over the watch window](chart-stage-B.png)');
    expect(md.indexOf('chart-stage-B.png')).toBeLessThan(md.indexOf('Gate ticks (9)'));
  });
});
