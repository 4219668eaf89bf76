import { help } from '../blocks/index.ts';
import { code, escapeText, link, md, mdJoin, message, section, truncate } from '../blocks/message.ts';
import { messageOf } from '../gates/error-result.ts';
import { type Parsed, words } from './args.ts';
import { type Invocation, type Reply, type Surface, say } from './surface.ts';

// `/report <run-id>`: a past evidence report from the environment's durable sink (Cloud Storage, a GitHub
// repository), beyond Redis' 90 days: links to its files and the start of its SUMMARY.md.

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
  // The run's environment when Redis still has it; else every environment's sink is asked.
  const record = await surface.store.rollouts.get<{ state?: { env?: string } }>(runId).catch(() => undefined);
  const envs = record?.data.state?.env ? [record.data.state.env] : Object.keys(surface.config.environments);
  const problems: string[] = [];
  for (const env of envs) {
    try {
      const sink = await sinks(env);
      if (!sink) continue;
      const files = await sink.list(runId);
      if (files.length === 0) continue;
      const summary = await sink.get(runId, 'SUMMARY.md');
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
