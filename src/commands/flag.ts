import { help, usage } from '../blocks/index.ts';
import { code, md, mdJoin, withMentions } from '../blocks/message.ts';
import type { FlagIntent } from './flag-args.ts';
import { lockAnswer } from './lock-answer.ts';
import { resolveScope } from './scope.ts';
import { type Invocation, type Reply, type Surface, say } from './surface.ts';

// /flag: the feature-flag canary of seed 003. A flag set runs in its service's channel; the environment
// may be left out where the service's channel decides it (as for /canary).

export async function runFlag(intent: FlagIntent, who: Invocation, surface: Surface): Promise<Reply> {
  if (intent.sub === 'help') return help('/flag');
  const runbook = surface.config.runbooks[intent.config];
  if (runbook?.kind !== 'flag-canary') {
    const known = Object.entries(surface.config.runbooks)
      .filter(([, r]) => r.kind === 'flag-canary')
      .map(([n]) => code(n));
    return say(
      md`No flag set ${code(intent.config)} in the config. Flag sets: ${mdJoin(known, ', ') || 'none'}.`,
    );
  }
  const scope = resolveScope(surface.config, { service: runbook.service, env: intent.env }, who.channel);
  if (!scope.ok) return say(md`${scope.error}\n${usage('/flag')}`);
  const { env } = scope;
  const { engine } = surface;
  switch (intent.sub) {
    case 'canary': {
      const started = await engine.startFlagCanary({
        config: intent.config,
        env,
        requestedBy: who.userId,
        dryRun: intent.dryRun,
        ...(intent.watchMs === undefined ? {} : { watchMs: intent.watchMs }),
        ...(intent.duringFreeze === undefined ? {} : { duringFreeze: intent.duringFreeze }),
      });
      if (!started.ok) {
        if (started.reason === 'held' || started.reason === 'frozen')
          return lockAnswer(surface, { service: runbook.service, env }, started, who.userId);
        return say(md`Not started: ${withMentions(started.message)}`);
      }
      const dry = intent.dryRun ? ' as a dry run (no flag will change)' : '';
      return say(
        md`Started the flag canary ${code(intent.config)} in ${code(env)}${dry}: ${code(started.rolloutId)}. The card is in this channel; every step goes in its thread.`,
      );
    }
    case 'signoff': {
      const signed = await engine.signoffFlags({
        config: intent.config,
        env,
        by: who.userId,
        evidence: intent.evidence,
        ...(intent.flag ? { flag: intent.flag } : {}),
      });
      if (!signed.ok) return say(md`Not signed off: ${withMentions(signed.message)}`);
      return say(
        md`Signed off in ${code(env)}: ${mdJoin(
          signed.signoffs.map((g) => md`${code(g.flag)} until ${g.expiresAt}`),
          ', ',
        )}. Audited, with your evidence.`,
      );
    }
    case 'off': {
      const off = await engine.flagsOff({
        config: intent.config,
        env,
        by: who.userId,
        reason: intent.reason,
        dryRun: intent.dryRun,
      });
      if (!off.ok) return say(md`Flags not turned off: ${withMentions(off.message)}`);
      return say(
        off.via === 'canary'
          ? md`The running flag canary ${code(off.rolloutId)} is setting the flags back; its thread says when they read back.`
          : md`Turning the flags of ${code(intent.config)} off in ${code(env)}: ${code(off.rolloutId)}. Its card is in this channel.`,
      );
    }
  }
}
