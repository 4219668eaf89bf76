import { help, locksList, usage } from '../blocks/index.ts';
import { code, md, mention } from '../blocks/message.ts';
import { freezeSchedule } from '../runbooks/freeze/scope.ts';
import { isMember } from '../runbooks/principals.ts';
import type { DeployIntent } from './deploy-args.ts';
import { resolveScope } from './scope.ts';
import { type Invocation, type Reply, type Surface, say, toChannel } from './surface.ts';

// /deploy: deploy freezes. A freeze blocks new rollouts of a service in an environment (never a
// rollback). Deployers and admins may freeze; the freeze's author or an admin lifts it. `/deploy locks`
// also lists the scheduled freeze windows of the config (environments.X.freezes) for the next 7 days.

export async function runDeploy(intent: DeployIntent, who: Invocation, surface: Surface): Promise<Reply> {
  const { store, config } = surface;
  switch (intent.sub) {
    case 'help':
      return help('/deploy');
    case 'locks': {
      const now = surface.now?.() ?? new Date();
      return locksList(await store.locks.listLocks(), await store.locks.listFreezes(), {
        now,
        schedule: freezeSchedule(config, now),
      });
    }
    case 'lock':
    case 'unlock': {
      const scope = resolveScope(config, intent, who.channel);
      if (!scope.ok) return say(md`${scope.error}\n${usage('/deploy', intent.sub)}`);
      const environment = config.environments[scope.env];
      const person = { userId: who.userId, groups: await surface.groupsOf(who.userId) };
      const admin = environment !== undefined && isMember(environment.admins, person);
      const deployer = environment !== undefined && isMember(environment.deployers, person);
      if (intent.sub === 'lock') {
        if (!admin && !deployer) return say(md`Only deployers and admins may freeze deploys here.`);
        const frozen = await store.locks.freeze(scope.service, scope.env, {
          author: who.userId,
          reason: intent.reason,
        });
        if (!frozen.ok) {
          const f = frozen.freeze;
          return say(
            md`${code(scope.service)} in ${code(scope.env)} is already frozen by ${mention(f.author)} since ${f.since}: ${f.reason}`,
          );
        }
        return toChannel(
          say(
            md`Deploys of ${code(scope.service)} in ${code(scope.env)} are frozen by ${mention(who.userId)}: ${intent.reason}. Rollbacks still run.`,
          ),
        );
      }
      const freeze = await store.locks.getFreeze(scope.service, scope.env);
      if (!freeze) return say(md`${code(scope.service)} in ${code(scope.env)} is not frozen.`);
      if (freeze.author !== who.userId && !admin) {
        return say(md`Only ${mention(freeze.author)} (who froze it) or an admin may lift this freeze.`);
      }
      await store.locks.unfreeze(scope.service, scope.env, { by: who.userId });
      return toChannel(
        say(
          md`Deploys of ${code(scope.service)} in ${code(scope.env)} are open again (${mention(who.userId)}).`,
        ),
      );
    }
  }
}
