import type { Redis } from 'ioredis';
import type { Keys } from '../../store/keys.ts';

// The Slack messages the bot owns, per rollout and purpose (the card, an approval request, a stage's
// gate results...), so a repeated or redriven notification updates its message instead of posting again.

export interface MessageRef {
  channel: string;
  ts: string;
}

export interface MessageRefs {
  get(owner: string, purpose: string): Promise<MessageRef | undefined>;
  all(owner: string): Promise<Record<string, MessageRef>>;
  /** False when another writer recorded this purpose first (its message stands). */
  setFirst(owner: string, purpose: string, ref: MessageRef): Promise<boolean>;
  /**
   * Notes that a post of this purpose is about to be made; false when one was noted before (a post that
   * may have reached Slack without its ts being recorded: look for it before posting again).
   */
  markPosting(owner: string, purpose: string): Promise<boolean>;
}

const POSTING = '#posting';

const TTL_SECONDS = 90 * 86_400;

export function createMessageRefs(redis: Redis, keys: Keys): MessageRefs {
  const parse = (value: string): MessageRef => {
    const space = value.indexOf(' ');
    return { channel: value.slice(0, space), ts: value.slice(space + 1) };
  };
  return {
    async get(owner, purpose) {
      const value = await redis.hget(keys.slackMessages(owner), purpose);
      return value === null ? undefined : parse(value);
    },
    async all(owner) {
      const hash = await redis.hgetall(keys.slackMessages(owner));
      return Object.fromEntries(
        Object.entries(hash)
          .filter(([purpose]) => !purpose.endsWith(POSTING))
          .map(([purpose, value]) => [purpose, parse(value)]),
      );
    },
    async setFirst(owner, purpose, ref) {
      const key = keys.slackMessages(owner);
      const [[, set]] = (await redis
        .multi()
        .hsetnx(key, purpose, `${ref.channel} ${ref.ts}`)
        .expire(key, TTL_SECONDS)
        .exec()) as [[Error | null, number]];
      return set === 1;
    },
    async markPosting(owner, purpose) {
      const key = keys.slackMessages(owner);
      const [[, set]] = (await redis
        .multi()
        .hsetnx(key, `${purpose}${POSTING}`, new Date().toISOString())
        .expire(key, TTL_SECONDS)
        .exec()) as [[Error | null, number]];
      return set === 1;
    },
  };
}
