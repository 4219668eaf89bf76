import { describe, expect, it } from 'vitest';
import { createValidationRecords } from '../../src/validation/index.ts';
import { openTestStore } from '../helpers/redis.ts';

// The claims of a run over several environments: all taken in one script, or none; released only where
// the run still holds them.

describe('validation claims', () => {
  it('takes every environment or none, names the one held, and releases only its own', async () => {
    const test = openTestStore('validation-claims');
    try {
      const { redis, keys } = test.store;
      const records = createValidationRecords(redis, keys);
      expect(await records.claim('prod', 'val-prod-1')).toEqual({ ok: true });
      expect(await records.claim(['staging', 'prod'], 'val-staging-prod-1')).toEqual({
        ok: false,
        holder: 'val-prod-1',
        env: 'prod',
      });
      // Staging was free, and stays free: not one of two.
      expect(await redis.get(keys.validationRunning('staging'))).toBeNull();

      await records.release('prod', 'val-prod-1');
      expect(await records.claim(['staging', 'prod'], 'val-staging-prod-2')).toEqual({ ok: true });
      expect(await redis.get(keys.validationRunning('staging'))).toBe('val-staging-prod-2');
      expect(await redis.pttl(keys.validationRunning('prod'))).toBeGreaterThan(0);
      expect(await records.claim('staging', 'val-staging-3')).toMatchObject({ ok: false, env: 'staging' });

      // A release by a run that does not hold a claim leaves it alone.
      await records.release(['staging', 'prod'], 'val-prod-1');
      expect(await redis.get(keys.validationRunning('prod'))).toBe('val-staging-prod-2');
      await records.release(['staging', 'prod'], 'val-staging-prod-2');
      expect(await redis.exists(keys.validationRunning('staging'), keys.validationRunning('prod'))).toBe(0);
    } finally {
      await test.cleanup();
    }
  });
});
