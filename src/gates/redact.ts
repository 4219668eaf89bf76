import type { GateResult } from './result.ts';

// A last line of defence for secrets: a service that echoes the bearer token in its body or an error
// message that quotes a header must not carry the token into Slack, the store or the logs.

export const TOKEN_PLACEHOLDER = '$TOKEN';
/** The maintenance bypass token of an http gate (`bypass.token`). */
export const BYPASS_TOKEN_PLACEHOLDER = '$BYPASS_TOKEN';

/** The result with every occurrence of `secret` in its text replaced by `placeholder` ($TOKEN). */
export function redactResult(
  result: GateResult,
  secret: string | undefined,
  placeholder = TOKEN_PLACEHOLDER,
): GateResult {
  if (!secret) return result;
  const clean = (text: string) => text.split(secret).join(placeholder);
  const copy: GateResult = { ...result, metric: clean(result.metric), threshold: clean(result.threshold) };
  copy.evidence = clean(result.evidence);
  if (result.reason !== undefined) copy.reason = clean(result.reason);
  if (typeof result.observed?.value === 'string') {
    copy.observed = { ...result.observed, value: clean(result.observed.value) };
  }
  if (typeof result.baseline?.value === 'string') {
    copy.baseline = { ...result.baseline, value: clean(result.baseline.value) };
  }
  return copy;
}
