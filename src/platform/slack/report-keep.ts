import {
  escapeText,
  link,
  type Mrkdwn,
  md,
  mdJoin,
  message,
  type SlackMessage,
  section,
  truncate,
} from '../../blocks/message.ts';
import type { ShiftgateConfig } from '../../config/schema.ts';
import { messageOf } from '../../gates/error-result.ts';
import type { ReportSink } from '../../runbooks/ports/report-sink.ts';
import type { AttachedFile, Poster } from './poster.ts';

// A report's files into the durable sinks of its environments (Cloud Storage, a GitHub repository: the
// `reports` config of each), then one line in its thread linking each copy, or saying what was not kept.
// Every report goes through here: rollouts, rollbacks and trains (report-upload.ts), incident reports
// (src/incidents/report.ts) and validation runs (src/commands/validate.ts).
//
// Callers keep before they upload to Slack: the durable copy outlives Redis and Slack alike, and a
// process that dies between the two leaves the sink holding the report while the Slack upload is tried
// again (a redriven ending, `/validate files`, a second Resolve). That is safe because `put` is
// idempotent (the same object again, the same bytes) and the thread line is one message per report,
// edited, never added twice. A sink that fails is said in the thread and left: the Slack upload goes on.
//
// A report of several environments (`/validate staging prod`) goes to each environment's sinks; two
// environments with the same `reports` config are one sink, written once.

export const SINK_PURPOSE = 'report-sink';

export interface KeepDeps {
  poster: Poster;
  config: ShiftgateConfig;
  /** Where an environment keeps its reports beyond Redis (its `reports` config); undefined: nowhere. */
  sinks?: ((env: string) => Promise<ReportSink | undefined>) | undefined;
  log?: { error(message: string, fields?: object): void };
}

export interface KeepInput {
  /** The run, rollout or incident id: the folder of its files in every sink, and what `/report` takes. */
  id: string;
  /** The environments whose sinks keep it, in order. */
  envs: readonly string[];
  files: readonly AttachedFile[];
  thread: { channel: string; threadTs: string };
  /** When the report was made (ISO); default now. */
  at?: string;
}

export interface Kept {
  /** Every place that took a file, each once. */
  kept: { url: string; where: string }[];
  /** What was not kept, in words. */
  failed: string[];
}

/** The content type a sink stores a file with, from its name. */
export function contentTypeOf(filename: string): string {
  if (filename.endsWith('.json')) return 'application/json';
  if (filename.endsWith('.tsv')) return 'text/tab-separated-values; charset=utf-8';
  if (filename.endsWith('.md')) return 'text/markdown; charset=utf-8';
  if (filename.endsWith('.png')) return 'image/png';
  return 'text/plain; charset=utf-8';
}

interface Group {
  /** The environments sharing this sink. */
  envs: string[];
  sink: ReportSink | undefined;
  /** Why the sink could not be made (a GitHub token reference that does not resolve). */
  error?: string;
}

/** Never throws: a report's evidence is in Redis and Slack already; this is its durable copy. */
export async function keepReport(deps: KeepDeps, input: KeepInput): Promise<Kept> {
  const result: Kept = { kept: [], failed: [] };
  if (!deps.sinks) return result;
  const groups = await sinkGroups(deps, input.envs);
  const several = groups.filter((g) => g.sink || g.error).length > 1;
  const at = input.at ?? new Date().toISOString();
  const lines: Mrkdwn[] = [];
  const failedLines: string[] = [];
  for (const group of groups) {
    const who = several ? `${group.envs.join(' + ')}: ` : '';
    if (group.error !== undefined) {
      deps.log?.error('report sink unavailable', { id: input.id, envs: group.envs, error: group.error });
      result.failed.push(`${who}the report sink is unavailable: ${group.error}`);
      failedLines.push(`${who}the report sink is unavailable: ${group.error}`);
      continue;
    }
    const { sink } = group;
    if (!sink) continue;
    const places: { url: string; where: string }[] = [];
    const failed: string[] = [];
    for (const file of input.files) {
      try {
        const stored = await sink.put({
          runId: input.id,
          name: file.filename,
          content: file.content,
          contentType: contentTypeOf(file.filename),
          at,
        });
        for (const place of stored.all ?? [stored])
          if (!places.some((p) => p.url === place.url)) places.push(place);
        failed.push(...(stored.failed ?? []));
      } catch (error) {
        failed.push(`${file.filename}: ${messageOf(error)}`);
      }
    }
    if (places.length > 0) {
      const links = mdJoin(
        places.map((k) => link(k.url, k.where)),
        ', ',
      );
      lines.push(several ? md`• ${group.envs.join(' + ')}: ${links}` : links);
    }
    for (const place of places) if (!result.kept.some((k) => k.url === place.url)) result.kept.push(place);
    if (failed.length > 0) {
      deps.log?.error('report not kept in every sink', { id: input.id, envs: group.envs, failed });
      result.failed.push(...failed.map((f) => `${who}${f}`));
      failedLines.push(`${who}${failed.join('; ')}`);
    }
  }
  if (lines.length === 0 && failedLines.length === 0) return result;
  await deps.poster
    .upsert(input.id, SINK_PURPOSE, input.thread, keptLine(input.id, lines, failedLines, several))
    .catch((error: unknown) =>
      deps.log?.error('report sink line not posted', { id: input.id, error: messageOf(error) }),
    );
  return result;
}

/** One group per distinct `reports` config among the environments, in order of first appearance. */
async function sinkGroups(deps: KeepDeps, envs: readonly string[]): Promise<Group[]> {
  const groups = new Map<string, Group>();
  for (const env of envs) {
    const shape = JSON.stringify(deps.config.environments[env]?.reports ?? null);
    const same = groups.get(shape);
    if (same) {
      if (!same.envs.includes(env)) same.envs.push(env);
      continue;
    }
    const group: Group = { envs: [env], sink: undefined };
    try {
      group.sink = await deps.sinks?.(env);
    } catch (error) {
      group.error = messageOf(error);
    }
    groups.set(shape, group);
  }
  return [...groups.values()];
}

function keptLine(id: string, lines: Mrkdwn[], failed: string[], several: boolean): SlackMessage {
  const parts: Mrkdwn[] = [];
  if (lines.length > 0) {
    parts.push(
      several
        ? md`:file_cabinet: Report kept beyond Redis (\`/report ${id}\` fetches it later):\n${mdJoin(lines, '\n')}`
        : md`:file_cabinet: Report kept beyond Redis: ${lines[0] as Mrkdwn} (\`/report ${id}\` fetches it later).`,
    );
  }
  if (failed.length > 0) {
    parts.push(md`:warning: Not kept: ${escapeText(truncate(failed.join('; '), 400))}`);
  }
  return message(lines.length > 0 ? md`Report kept: ${id}` : md`Report not kept beyond Redis: ${id}`, [
    section(mdJoin(parts, '\n')),
  ]);
}
