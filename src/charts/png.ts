import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import { parse, View } from 'vega';
import { compile } from 'vega-lite';
import { chartSpec } from './spec.ts';
import type { StageChart } from './stage-series.ts';

// The stage chart as a PNG, drawn on the server: Vega-Lite spec -> Vega view with no renderer (it only
// lays the scene out) -> SVG -> PNG by resvg. Why this chain: it needs no browser, and no native canvas
// build (node-canvas compiles against cairo); @resvg/resvg-js is a prebuilt binary per platform, and
// Vega's SVG output needs nothing of the DOM.
//
// resvg draws text with the fonts it finds: the system's, under the first family of FONTS installed
// (Debian: fonts-dejavu-core, which the CI's Chromium pulls in). Where none is, the chart is still drawn,
// lines, band and all, only without its words: `font` in the answer is then undefined, and callers say so.

/** Families tried in order, each with the files that say it is installed. */
const FONTS: readonly { family: string; files: readonly string[] }[] = [
  { family: 'DejaVu Sans', files: ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'] },
  {
    family: 'Liberation Sans',
    files: [
      '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
      '/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf',
    ],
  },
  { family: 'Noto Sans', files: ['/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf'] },
  { family: 'FreeSans', files: ['/usr/share/fonts/truetype/freefont/FreeSans.ttf'] },
];

/** Drawn at twice the layout size, so the chart stays sharp on high-density screens. */
const SCALE = 2;

export interface ChartPng {
  png: Uint8Array;
  width: number;
  height: number;
  /** The font family the text is in; undefined when no font was found and the chart has no words. */
  font?: string;
}

export interface RenderOptions {
  /** Font families to look for instead of FONTS (tests: none, to draw as a machine with no font would). */
  fonts?: readonly { family: string; files: readonly string[] }[];
  /** Load the system's fonts (default true); false draws with `fontFiles` alone. */
  loadSystemFonts?: boolean;
}

let found: { family: string } | null | undefined;

/** The first installed family of the list, looked up once for the default list. */
export function chartFont(fonts: RenderOptions['fonts'] = FONTS): string | undefined {
  if (fonts !== FONTS) return fonts.find((f) => f.files.some(existsSync))?.family;
  if (found === undefined) {
    const family = FONTS.find((f) => f.files.some(existsSync))?.family;
    found = family ? { family } : null;
  }
  return found?.family;
}

export async function renderChartSvg(chart: StageChart, font = 'sans-serif'): Promise<string> {
  const { spec } = compile(chartSpec(chart, font));
  const view = new View(parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function renderChartPng(chart: StageChart, options: RenderOptions = {}): Promise<ChartPng> {
  const family = chartFont(options.fonts);
  const svg = await renderChartSvg(chart, family ?? 'sans-serif');
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: SCALE },
    background: 'white',
    font: {
      loadSystemFonts: options.loadSystemFonts ?? true,
      ...(family ? { defaultFontFamily: family, sansSerifFamily: family } : {}),
    },
  });
  const image = resvg.render();
  return {
    png: new Uint8Array(image.asPng()),
    width: image.width,
    height: image.height,
    ...(family ? { font: family } : {}),
  };
}
