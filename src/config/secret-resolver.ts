import type { SecretRef } from './secret-ref.ts';

// Turns a secret reference (sm://projects/P/secrets/S/versions/V or env:NAME, see secret-ref.ts) into
// its value. Start-up resolves the environment's references through it; the runbook config's references
// (routeSplit.token, accessToken) go through the same one, so each secret is read once.

export interface SecretResolver {
  /**
   * The value behind `ref`, a reference string or one the config schema parsed. Rejects with an Error
   * whose message starts with the reference and never contains a value.
   */
  resolve(ref: string | SecretRef): Promise<string>;
}
