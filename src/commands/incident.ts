import { help, usage } from '../blocks/index.ts';
import type { IncidentIntent } from './incident-args.ts';
import { resolveScope } from './scope.ts';
import { type Invocation, type Reply, type Surface, say } from './surface.ts';

// /incident: open one by hand, add a note to the one open in this channel, close it.

export async function runIncident(intent: IncidentIntent, who: Invocation, surface: Surface): Promise<Reply> {
  const { incidents } = surface;
  switch (intent.sub) {
    case 'help':
      return help('/incident');
    case 'open': {
      const scope = resolveScope(surface.config, intent, who.channel);
      if (!scope.ok) return say(`${scope.error}\n${usage('/incident', 'open')}`);
      const incident = await incidents.open({
        service: scope.service,
        env: scope.env,
        symptom: intent.summary,
        by: who.userId,
      });
      return say(`Incident \`${incident.id}\` is open: reply in its thread to add notes.`);
    }
    case 'note': {
      const incident = await incidents.openIn(who.channel.id);
      if (!incident)
        return say(`No incident is open in this channel. Open one with ${usage('/incident', 'open')}`);
      await incidents.note(incident, { by: who.userId, text: intent.text });
      return say(`Noted on \`${incident.id}\`.`);
    }
    case 'close': {
      const incident = await incidents.openIn(who.channel.id);
      if (!incident) return say('No incident is open in this channel: nothing to close.');
      const resolved = await incidents.resolve(incident.id, {
        by: who.userId,
        ...(intent.summary ? { summary: intent.summary } : {}),
      });
      return say(resolved.ok ? `Closed \`${incident.id}\`; the report is in its thread.` : resolved.message);
    }
  }
}
