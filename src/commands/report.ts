import { help } from '../blocks/index.ts';
import { code, escapeText, link, md, mdJoin, message, section, truncate } from '../blocks/message.ts';
import { messageOf } from '../gates/error-result.ts';
import { type Parsed, words } from './args.ts';
import { type Invocation, type Reply, type Surface, say } from './surface.ts';

// `/report <run-id>`: a past evidence report from the environment's durable sink (Cloud Storage, a GitHub
// repository), beyond Redis' 90 days: links to its files and the start of its Markdown (SUMMARY.md of a
// rollout, train or validation run; incident-report.md of an incident). The id is a rollout's, a
// validation run's or an incident's.

export type ReportIntent = { sub: 'get'; runId: string } | { sub: 'help' };

const RUN_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function parseReport(text: string): Parsed<ReportIntent> {
  const parsed = words(text, {});
  if (!parsed.ok) return parsed;
  const [runId, ...rest] = parsed.value.positionals;
  if (runId === undefined || runId === 'help') return { ok: true, value: { sub: 'help' } };
  if (rest.length > 0)
    return { ok: false, error: md`\`/report\` takes one run id, not ${code(rest[0] ?? '')}.` };
  if (!RUN_ID.test(runId)) return { ok: false, error: md`${code(truncate(runId, 80))} is not a run id.` };
  return { ok: true, value: { sub: 'get', runId } };
}

export async function runReport(intent: ReportIntent, _who: Invocation, surface: Surface): Promise<Reply> {
  if (intent.sub === 'help') return help('/report');
  const sinks = surface.reportSinks;
  if (!sinks) return say(md`No environment keeps reports beyond Redis here (\`reports\` in its config).`);
  const { runId } = intent;
  const envs = await envsOf(runId, surface);
  const problems: string[] = [];
  const asked = new Set<string>();
  for (const env of envs) {
    // Environments sharing one `reports` config share the sink: asked once.
    const shape = JSON.stringify(surface.config.environments[env]?.reports ?? null);
    if (asked.has(shape)) continue;
    asked.add(shape);
    try {
      const sink = await sinks(env);
      if (!sink) continue;
      const files = await sink.list(runId);
      if (files.length === 0) continue;
      const markdown = previewOf(files.map((f) => f.name));
      const summary = markdown ? await sink.get(runId, markdown) : undefined;
      const head = md`:file_cabinet: Report ${code(runId)} (${escapeText(env)}): ${mdJoin(
        files.map((f) => link(f.url, f.name)),
        ', ',
      )}`;
      return message(md`Report ${runId}`, [
        section(head),
        ...(summary
          ? [section(md`${code(truncate(summary.split('\n').slice(0, 12).join(' / '), 2500))}`)]
          : []),
      ]);
    } catch (error) {
      problems.push(`${env}: ${messageOf(error)}`);
    }
  }
  const also = problems.length > 0 ? md` (not read: ${escapeText(truncate(problems.join('; '), 500))})` : '';
  return say(md`No report ${code(runId)} is kept beyond Redis${also}.`);
}

/** The file whose start is shown: SUMMARY.md, else the first Markdown file (an incident's report). */
function previewOf(names: readonly string[]): string | undefined {
  return names.find((n) => n === 'SUMMARY.md') ?? names.find((n) => n.endsWith('.md'));
}

/**
 * The environments whose sinks may hold the id: its own while Redis still has it (a rollout, a validation
 * run over one or more environments, an incident), else every environment's.
 */
async function envsOf(runId: string, surface: Surface): Promise<string[]> {
  const { store } = surface;
  const rollout = await store.rollouts.get<{ state?: { env?: string } }>(runId).catch(() => undefined);
  if (rollout?.data.state?.env) return [rollout.data.state.env];
  const validation = await surface.validation?.get(runId).catch(() => undefined);
  if (validation && validation.envs.length > 0) return validation.envs;
  const incident = await surface.incidents.get(runId).catch(() => undefined);
  if (incident) return [incident.env];
  return Object.keys(surface.config.environments);
}
