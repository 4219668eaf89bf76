import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';

// Sign-offs of flags (seed 003's `.m4_signoff`): who signed a flag off for a flag set in an environment,
// when, with what evidence, until when. A flag canary whose flags need one refuses to start without it.
// The key expires with the sign-off; its audit line (written first by the caller) stays as evidence.

export interface Signoff {
  config: string;
  env: string;
  flag: string;
  by: string;
  at: string;
  expiresAt: string;
  evidence: string;
}

export interface Signoffs {
  record(signoff: Signoff): Promise<void>;
  get(config: string, env: string, flag: string): Promise<Signoff | undefined>;
}

export function createSignoffs(redis: Redis, keys: Keys): Signoffs {
  return {
    async record(signoff) {
      const ttl = Date.parse(signoff.expiresAt) - Date.parse(signoff.at);
      if (!Number.isFinite(ttl) || ttl < 1) throw new TypeError('a sign-off must expire after it is given');
      await redis.set(
        keys.signoff(signoff.config, signoff.env, signoff.flag),
        JSON.stringify(signoff),
        'PX',
        ttl,
      );
    },
    async get(config, env, flag) {
      const text = await redis.get(keys.signoff(config, env, flag));
      return text === null ? undefined : (JSON.parse(text) as Signoff);
    },
  };
}
