// Stage charts: the canary against stable over a stage's watch window, from the ticks the rollout
// record keeps (stage-series.ts, pure), as a Vega-Lite spec (spec.ts) drawn to PNG on the server (png.ts).
export { type ChartPng, chartFont, type RenderOptions, renderChartPng, renderChartSvg } from './png.ts';
export {
  type ChartPanel,
  type ChartPoint,
  chartFileName,
  MAX_PANELS,
  type StageChart,
  stageChart,
  stageCharts,
} from './stage-series.ts';
