import { help, usage } from '../blocks/index.ts';
import { channelRef, code, type Mrkdwn, md, mdJoin, withMentions } from '../blocks/message.ts';
import type { IncidentResult } from '../incidents/incidents.ts';
import type { Incident } from '../incidents/types.ts';
import type { IncidentIntent } from './incident-args.ts';
import { resolveScope } from './scope.ts';
import { type Invocation, isAnyOf, type Reply, type Surface, say } from './surface.ts';

// /incident: open one by hand, add a note (to the incident open in this channel, or to the only one open
// anywhere), close it with its report.

export async function runIncident(intent: IncidentIntent, who: Invocation, surface: Surface): Promise<Reply> {
  const { incidents } = surface;
  switch (intent.sub) {
    case 'help':
      return help('/incident');
    case 'open': {
      const scope = resolveScope(surface.config, intent, who.channel);
      if (!scope.ok) return say(md`${scope.error}\n${usage('/incident', 'open')}`);
      const incident = await incidents.open({
        service: scope.service,
        env: scope.env,
        symptom: intent.summary,
        by: who.userId,
      });
      return say(md`Incident ${code(incident.id)} is open: reply in its thread to add notes.`);
    }
    case 'note': {
      const found = await incidentFor(surface, who);
      if (!found.ok) return say(found.message);
      await incidents.note(found.incident, { by: who.userId, text: intent.text });
      return say(
        md`Noted on ${code(found.incident.id)}${found.elsewhere ? md` (open in ${channelRef(found.incident.channel)})` : ''}.`,
      );
    }
    case 'close': {
      const incident = await incidents.openIn(who.channel.id);
      if (!incident) return say(md`No incident is open in this channel: nothing to close.`);
      const refused = await mayNotResolve(surface, incident, who.userId);
      if (refused) return say(refused);
      const resolved = await incidents.resolve(incident.id, {
        by: who.userId,
        ...(intent.summary ? { summary: intent.summary } : {}),
      });
      return resolved.ok ? closedAnswer(resolved) : say(withMentions(resolved.message));
    }
  }
}

/** The incident of this channel; from another channel, the only incident open anywhere. */
async function incidentFor(
  surface: Surface,
  who: Invocation,
): Promise<{ ok: true; incident: Incident; elsewhere: boolean } | { ok: false; message: Mrkdwn }> {
  const here = await surface.incidents.openIn(who.channel.id);
  if (here) return { ok: true, incident: here, elsewhere: false };
  const open = await surface.incidents.listOpen();
  if (open.length === 1) return { ok: true, incident: open[0] as Incident, elsewhere: true };
  if (open.length === 0)
    return { ok: false, message: md`No incident is open. Open one with ${usage('/incident', 'open')}` };
  const list = mdJoin(
    open.map((i) => md`${code(i.id)} in ${channelRef(i.channel)}`),
    ', ',
  );
  return {
    ok: false,
    message: md`${open.length} incidents are open (${list}): run \`/incident note\` in the incident's channel, or reply in its thread.`,
  };
}

/** Deployers, approvers, break-glass and admins of the incident's environment may resolve it. */
export async function mayNotResolve(
  surface: Surface,
  incident: Incident,
  userId: string,
): Promise<Mrkdwn | undefined> {
  const environment = surface.config.environments[incident.env];
  const roles = environment
    ? [
        environment.deployers,
        environment.admins,
        environment.approval.approvers,
        environment.rollback.breakGlass,
      ]
    : [];
  return (await isAnyOf(surface, userId, roles))
    ? undefined
    : md`Only deployers, approvers and admins of this environment may resolve its incidents.`;
}

const plural = (n: number, word: string) => md`${n} ${word}${n === 1 ? '' : 's'}`;

export function closedAnswer(resolved: Extract<IncidentResult, { ok: true }>): Reply {
  const { incident, report } = resolved;
  const notes = report.report.timeline.filter((e) => e.source === 'human').length;
  if (resolved.republished && !report.uploadError) {
    return say(
      md`${code(incident.id)} was resolved already; its report (${plural(notes, 'note')}) is now in its thread.`,
    );
  }
  if (report.uploadError) {
    return say(
      md`Closed ${code(incident.id)}. Its report (${plural(notes, 'note')}) is saved, but could not be posted into the thread: ${report.uploadError}. It is kept in Redis under ${code(report.key)}; check the bot's Slack scopes (files:write).`,
    );
  }
  return say(md`Closed ${code(incident.id)}; the report (${plural(notes, 'note')}) is in its thread.`);
}
