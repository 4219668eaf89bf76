import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
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
// resvg draws text with the font file it is given: DejaVu Sans from the dejavu-fonts-ttf package, so the
// production image (node:24-slim has no font at all) and every test machine draw the same words; failing
// that, the first family of FONTS installed on the system. Where none is, the chart is still drawn, lines,
// band and all, only without its words: `font` in the answer is then undefined, and callers say so.

/** The bundled DejaVu Sans, when the package is installed. */
function bundled(): string[] {
  try {
    return [createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')];
  } catch {
    return [];
  }
}

/** Families tried in order, each with the files that hold it (the first that exists is used). */
const FONTS: readonly { family: string; files: readonly string[] }[] = [
  { family: 'DejaVu Sans', files: [...bundled(), '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'] },
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
  /** Also load the system's fonts (default false: the font file found is enough, and scanning is slow). */
  loadSystemFonts?: boolean;
}

interface FoundFont {
  family: string;
  file: string;
}

let found: FoundFont | null | undefined;

function findFont(fonts: NonNullable<RenderOptions['fonts']>): FoundFont | undefined {
  for (const { family, files } of fonts) {
    const file = files.find(existsSync);
    if (file) return { family, file };
  }
  return undefined;
}

/** The first family of the list with a file that exists, looked up once for the default list. */
function fontOf(fonts: RenderOptions['fonts'] = FONTS): FoundFont | undefined {
  if (fonts !== FONTS) return findFont(fonts);
  if (found === undefined) found = findFont(FONTS) ?? null;
  return found ?? undefined;
}

/** The font family charts are drawn in; undefined when there is none and charts have no words. */
export function chartFont(fonts: RenderOptions['fonts'] = FONTS): string | undefined {
  return fontOf(fonts)?.family;
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
  const font = fontOf(options.fonts);
  const family = font?.family;
  const svg = await renderChartSvg(chart, family ?? 'sans-serif');
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: SCALE },
    background: 'white',
    font: {
      loadSystemFonts: options.loadSystemFonts ?? false,
      fontFiles: font ? [font.file] : [],
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
