import type { TopLevelSpec } from 'vega-lite';
import type { ChartPanel, StageChart } from './stage-series.ts';

// The stage chart as a Vega-Lite spec: one panel per comparing gate, stacked, sharing one legend. In each:
// the canary (orange, a red dot where the gate failed at that tick), stable (blue), the limit (red,
// dashed) and the canary's confidence band (shaded orange), against time into the stage.

export const COLORS = {
  canary: '#e8590c',
  stable: '#1c7ed6',
  limit: '#c92a2a',
} as const;

const SERIES = ['canary', 'stable', 'limit'] as const;

export const PANEL_WIDTH = 520;
export const PANEL_HEIGHT = 90;

const UNIT_WORDS: Record<string, string> = { '%': '%', ms: 'ms' };

export function chartSpec(chart: StageChart, font: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 12,
    title: {
      text: chart.title,
      subtitle: chart.subtitle,
      anchor: 'start',
      fontSize: 14,
      subtitleFontSize: 11,
      subtitleColor: '#555555',
    },
    config: {
      font,
      view: { stroke: '#dddddd' },
      axis: { labelFontSize: 10, titleFontSize: 10, gridColor: '#eeeeee', titleFontWeight: 'normal' },
      legend: { orient: 'bottom', labelFontSize: 11, symbolType: 'stroke', symbolStrokeWidth: 3 },
      concat: { spacing: 18 },
    },
    vconcat: chart.panels.map((panel) => panelSpec(panel, chart.timeUnit)),
    resolve: { scale: { color: 'shared', strokeDash: 'shared' } },
  };
}

function panelSpec(panel: ChartPanel, timeUnit: StageChart['timeUnit']) {
  // Drawn in data order: the limit first and the canary last, on top of the others where they meet.
  const lines = panel.points.flatMap((p) =>
    [...SERIES].reverse().flatMap((series) => {
      const value = p[series];
      return value === undefined ? [] : [{ at: p.at, series, value }];
    }),
  );
  const band = panel.points.filter((p) => p.low !== undefined && p.high !== undefined);
  const failed = panel.points.filter((p) => p.status === 'fail' && p.canary !== undefined);
  const unit = UNIT_WORDS[panel.unit] ?? panel.unit;
  const x = {
    field: 'at',
    type: 'quantitative' as const,
    title: `${timeUnit} into the stage`,
    scale: { domainMin: 0, nice: false },
    axis: { format: '~r', tickMinStep: 1 },
  };
  const y = { type: 'quantitative' as const, title: unit, scale: { zero: true } };
  return {
    width: PANEL_WIDTH,
    height: PANEL_HEIGHT,
    title: {
      text: band.length > 0 ? `${panel.title} (shaded: the canary's confidence band)` : panel.title,
      anchor: 'start' as const,
      frame: 'group' as const,
      fontSize: 12,
      fontWeight: 'normal' as const,
    },
    layer: [
      ...(band.length > 0
        ? [
            {
              data: { values: band.map((p) => ({ at: p.at, low: p.low, high: p.high })) },
              mark: { type: 'area' as const, color: COLORS.canary, opacity: 0.18 },
              encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' } },
            },
          ]
        : []),
      {
        data: { values: lines },
        mark: { type: 'line' as const, strokeWidth: 2 },
        encoding: {
          x,
          y: { ...y, field: 'value' },
          color: {
            field: 'series',
            type: 'nominal' as const,
            title: null,
            scale: { domain: [...SERIES], range: SERIES.map((s) => COLORS[s]) },
          },
          strokeDash: {
            field: 'series',
            type: 'nominal' as const,
            title: null,
            scale: {
              domain: [...SERIES],
              range: [
                [1, 0],
                [1, 0],
                [5, 3],
              ],
            },
          },
        },
      },
      ...(failed.length > 0
        ? [
            {
              data: { values: failed.map((p) => ({ at: p.at, value: p.canary })) },
              mark: { type: 'point' as const, filled: true, size: 90, color: COLORS.limit, opacity: 1 },
              encoding: { x, y: { ...y, field: 'value' } },
            },
          ]
        : []),
    ],
  };
}
