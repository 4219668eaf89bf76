// Stage charts (src/charts/): how long drawing one takes on the bot's event loop, split into the Vega
// layout (spec -> SVG) and resvg's rasterizing (SVG -> PNG), for a one-hour stage ticked every minute with
// three panels (5xx rate with its band, p95 latency, error logs). Reference in the same run: the same
// chart drawn with the system's fonts scanned (resvg's loadSystemFonts), as the first version did, against
// the bundled font file alone. Run: node bench/charts.ts
//
// Environment: BENCH_RUNS (30), BENCH_TICKS (60).

import { performance } from 'node:perf_hooks';
import { renderChartPng, renderChartSvg } from '../src/charts/index.ts';
import type { ChartPanel, StageChart } from '../src/charts/stage-series.ts';
import { intFromEnv } from './env.ts';
import { percentile } from './percentile.ts';

const RUNS = intFromEnv('BENCH_RUNS', 30);
const TICKS = intFromEnv('BENCH_TICKS', 60);

function panel(gate: string, kind: ChartPanel['kind'], unit: string, base: number): ChartPanel {
  return {
    gate,
    kind,
    title: `${gate}: ${kind}`,
    unit,
    points: Array.from({ length: TICKS }, (_, i) => ({
      at: i + 1,
      canary: base * (1 + 0.3 * Math.sin(i / 5)),
      stable: base,
      limit: base * 2,
      ...(kind === 'error-rate' ? { low: base * 0.5, high: base * 1.6 } : {}),
      status: i === TICKS - 3 ? ('fail' as const) : ('pass' as const),
    })),
  };
}

const chart: StageChart = {
  stage: 1,
  file: 'chart-stage-B.png',
  title: 'demo v1.42.0: stage B (5 %), canary vs stable',
  subtitle: `passed · ${TICKS} ticks from 10:00Z · demo-00002 vs demo-00001`,
  timeUnit: 'minutes',
  panels: [
    panel('error-rate', 'error-rate', '%', 0.4),
    panel('latency-p95', 'latency', 'ms', 180),
    panel('error-logs', 'error-logs', '%', 0.1),
  ],
};

async function time(what: () => Promise<unknown>): Promise<number[]> {
  await what(); // warm: module loading and the first font read are not per chart
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await what();
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b);
}

const svg = await time(() => renderChartSvg(chart, 'DejaVu Sans'));
const png = await time(() => renderChartPng(chart));
const scanned = await time(() => renderChartPng(chart, { loadSystemFonts: true }));
const drawn = await renderChartPng(chart);

const row = (name: string, s: number[]) =>
  `${name.padEnd(38)} median ${percentile(s, 50).toFixed(1).padStart(7)} ms   p95 ${percentile(s, 95).toFixed(1).padStart(7)} ms`;
console.log(`stage chart, ${chart.panels.length} panels x ${TICKS} ticks, ${RUNS} runs each`);
console.log(`PNG ${drawn.width}x${drawn.height}, ${drawn.png.length} bytes, font ${drawn.font ?? 'none'}`);
console.log(row('layout only (Vega -> SVG)', svg));
console.log(row('whole chart (bundled font file)', png));
console.log(row('whole chart (system fonts scanned)', scanned));
console.log(
  `share of the layout in a chart: ${((100 * percentile(svg, 50)) / percentile(png, 50)).toFixed(0)} %; ` +
    `system scan / bundled file: ${(percentile(scanned, 50) / percentile(png, 50)).toFixed(2)}x`,
);
