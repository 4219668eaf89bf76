import { z } from 'zod';

// A secret is never written into the config or the environment in plain text where a reference will do:
// `sm://projects/P/secrets/S/versions/V` is read from Secret Manager at start-up, `env:NAME` from the
// process environment (for local development and the sandbox).
const SECRET_MANAGER = /^sm:\/\/(projects\/[^/\s]+\/secrets\/[^/\s]+\/versions\/[^/\s]+)$/;
const ENV_VAR = /^env:([A-Z_][A-Z0-9_]*)$/;

export type SecretRef =
  | { source: 'secret-manager'; name: string; ref: string }
  | { source: 'env'; name: string; ref: string };

export const SECRET_REF_HINT =
  'a secret reference: sm://projects/P/secrets/S/versions/V (Secret Manager) or env:NAME (environment variable)';

/** Parses a reference, or undefined when the text is not one. */
export function parseSecretRef(text: string): SecretRef | undefined {
  const sm = SECRET_MANAGER.exec(text);
  if (sm?.[1]) return { source: 'secret-manager', name: sm[1], ref: text };
  const env = ENV_VAR.exec(text);
  if (env?.[1]) return { source: 'env', name: env[1], ref: text };
  return undefined;
}

export function isSecretManagerRef(text: string): boolean {
  return SECRET_MANAGER.test(text);
}

/** A secret reference in the runbook config: plain tokens are refused, so none lands in git. */
export const secretRef = z
  .string({ error: `expected ${SECRET_REF_HINT}` })
  .regex(new RegExp(`${SECRET_MANAGER.source}|${ENV_VAR.source}`), {
    error: `expected ${SECRET_REF_HINT}; never put a token itself in the config file`,
  })
  .transform((text) => parseSecretRef(text) as SecretRef)
  .meta({ description: `Secret: ${SECRET_REF_HINT}` });
