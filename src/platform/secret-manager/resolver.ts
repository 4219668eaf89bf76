import { parseSecretRef, SECRET_REF_HINT } from '../../config/secret-ref.ts';
import type { SecretResolver } from '../../config/secret-resolver.ts';
import type { SecretManager } from './secret-manager.ts';

// The SecretResolver of start-up and of the runbook config: sm:// references through Secret Manager,
// each read once (concurrent asks for one reference share the call), env:NAME from the environment.

export interface SecretResolverOptions {
  /** Needed only when an sm:// reference is resolved. */
  secretManager?: Pick<SecretManager, 'access'>;
  env?: NodeJS.ProcessEnv;
}

export function createSecretResolver(options: SecretResolverOptions = {}): SecretResolver {
  const { secretManager, env = process.env } = options;
  const cache = new Map<string, Promise<string>>();

  return {
    async resolve(input) {
      const ref = typeof input === 'string' ? parseSecretRef(input) : input;
      // Never echo the text: what was passed instead of a reference may be a secret itself.
      if (!ref) throw new Error(`not a secret reference: expected ${SECRET_REF_HINT}`);
      if (ref.source === 'env') {
        const value = env[ref.name];
        if (value === undefined || value === '') {
          throw new Error(`${ref.ref}: the environment variable ${ref.name} is not set`);
        }
        return value;
      }
      if (!secretManager) throw new Error(`${ref.ref}: no Secret Manager client to read it with`);
      let pending = cache.get(ref.name);
      if (!pending) {
        const asked = secretManager.access(ref.name);
        // A failure is not remembered: the next ask tries again.
        asked.catch(() => {
          if (cache.get(ref.name) === asked) cache.delete(ref.name);
        });
        cache.set(ref.name, asked);
        pending = asked;
      }
      return pending;
    },
  };
}
