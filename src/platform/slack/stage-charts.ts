import { md } from '../../blocks/message.ts';
import { renderChartPng, type StageChart, stageChart } from '../../charts/index.ts';
import { messageOf } from '../../gates/error-result.ts';
import type { Logger } from '../../runbooks/effects.ts';
import type { CanaryState } from '../../runbooks/types.ts';
import type { Store } from '../../store/index.ts';
import type { Poster } from './poster.ts';

// A gated stage's chart into the rollout's thread when the stage ends: one PNG (src/charts) of the canary
// against stable over the watch window, uploaded with files v2, its permalink for the stage's gate
// message. Once per (stage, ticks): a redriven notification, a second trigger of the same ending (the
// verdict, then "stage passed") or another replica finds it recorded and only asks for its link again.
//
// A replica can die after Slack took the file and before its id was recorded: poster.attach notes the
// upload first and, when it finds that note without an id, looks for the file by its title in the thread
// and adopts it (the title names the rollout, the stage and the ticks, so it is the only one). A claim in
// Redis keeps two replicas from drawing and uploading the same chart side by side. It never throws: a
// chart is a picture of evidence kept elsewhere, and the gate message goes out without its link.

/** Long enough to draw and upload a chart, shorter than the 10 s worker lease (see report-upload.ts). */
const CLAIM_TTL_MS = 8_000;

export interface StageChartLink {
  file: string;
  /** The file's permalink; undefined when Slack would not say (files:read missing). */
  url?: string;
}

export interface StageChartDeps {
  store: Store;
  poster: Poster;
  log: Logger;
}

/** The purpose the upload is recorded under: the stage and how many ticks the chart shows. */
export const chartPurpose = (stage: number, ticks: number) => `chart:${stage}:${ticks}`;

export function createStageChartPoster(deps: StageChartDeps) {
  const { store, poster, log } = deps;
  let warnedFont = false;

  /**
   * Posts stage `index`'s chart, drawn from its first `ticks` ticks (default all: a notification names
   * the tick it is about, and the record may have moved on since), and answers its link; undefined when
   * the stage has nothing to draw or the chart could not be posted.
   */
  return async function postStageChart(
    state: CanaryState,
    index: number,
    thread: { channel: string; threadTs: string },
    ticks?: number,
  ): Promise<StageChartLink | undefined> {
    const stage = state.stages[index];
    if (!stage) return undefined;
    const count = Math.min(ticks ?? stage.ticks.length, stage.ticks.length);
    const shown: CanaryState = {
      ...state,
      stages: state.stages.map((s, i) => (i === index ? { ...s, ticks: s.ticks.slice(0, count) } : s)),
    };
    const chart = stageChart(shown, index);
    if (!chart) return undefined;
    const purpose = chartPurpose(index, count);
    const claim = `chart-upload:${state.id}:${purpose}`;
    try {
      let fileId = (await poster.ref(state.id, purpose))?.ts;
      if (fileId === undefined) {
        if (!(await store.idempotency.claim(claim, CLAIM_TTL_MS))) return { file: chart.file };
        try {
          fileId = await upload(state, chart, count, thread);
        } catch (error) {
          await store.idempotency.release(claim).catch(() => {});
          throw error;
        }
      }
      const url = await poster.filePermalink(fileId);
      return { file: chart.file, ...(url ? { url } : {}) };
    } catch (error) {
      log.error('stage chart not posted', {
        rolloutId: state.id,
        stage: stage.name,
        error: messageOf(error),
      });
      return undefined;
    }
  };

  async function upload(
    state: CanaryState,
    chart: StageChart,
    ticks: number,
    thread: { channel: string; threadTs: string },
  ): Promise<string> {
    const drawn = await renderChartPng(chart);
    if (!drawn.font && !warnedFont) {
      warnedFont = true;
      log.warn(
        'stage charts are drawn without words: no font found (reinstall the dejavu-fonts-ttf package, or install fonts-dejavu-core)',
        {
          rolloutId: state.id,
        },
      );
    }
    const stage = state.stages[chart.stage];
    const verdict = chart.subtitle.split(' · ')[0] ?? '';
    return poster.attach(state.id, chartPurpose(chart.stage, ticks), thread, {
      comment:
        md`:chart_with_upwards_trend: Stage ${stage?.name ?? ''} (${stage?.traffic ?? 0} %), canary vs stable over the watch window: ${verdict}.`
          .text,
      files: [
        {
          filename: chart.file,
          title: `${state.id} stage ${stage?.name ?? chart.stage} chart, ${ticks} ticks`,
          content: drawn.png,
        },
      ],
    });
  }
}
