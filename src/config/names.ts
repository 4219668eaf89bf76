import { z } from 'zod';

// Names of services, environments, runbooks, stages and gates appear in slash commands and Redis keys.
export const NAME = /^[a-z][a-z0-9-]{0,39}$/;
export const NAME_HINT = 'a lower-case name of letters, digits and dashes (up to 40, starting with a letter)';

export const name = z.string().regex(NAME, { error: `expected ${NAME_HINT}` });

/** A map keyed by names: every key is checked, so a typo like "Prod" is reported where it stands. */
export function namedMap<T extends z.ZodType>(value: T) {
  return z.record(name, value);
}

export const slackUserId = z
  .string()
  .regex(/^[UW][A-Z0-9]{2,}$/, { error: 'expected a Slack user id like "U024BE7LH"' });

export const slackUserGroup = z.string().regex(/^(?:S[A-Z0-9]{2,}|@?[a-z0-9][a-z0-9._-]*)$/, {
  error: 'expected a Slack user-group handle like "@release-approvers" or a group id like "S0614TZR7"',
});

export const slackChannel = z.string().regex(/^(?:[CG][A-Z0-9]{2,}|#[a-z0-9][a-z0-9_-]{0,79})$/, {
  error: 'expected a Slack channel id like "C0123ABCD" or a channel name like "#deploys"',
});

export const httpsUrl = z.url({
  protocol: /^https?$/,
  error: 'expected an http(s) URL like "https://example.com"',
});

export const urlPath = z.string().regex(/^\/\S*$/, { error: 'expected a path starting with "/"' });

/** The candidate nearest to a misspelt name (at most two edits away), for "did you mean" hints. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    // Levenshtein distance over one rolling row.
    const row = Array.from({ length: candidate.length + 1 }, (_, j) => j);
    for (let i = 1; i <= word.length; i++) {
      let diagonal = row[0] as number;
      row[0] = i;
      for (let j = 1; j <= candidate.length; j++) {
        const above = row[j] as number;
        row[j] = Math.min(
          above + 1,
          (row[j - 1] as number) + 1,
          diagonal + (word[i - 1] === candidate[j - 1] ? 0 : 1),
        );
        diagonal = above;
      }
    }
    const distance = row[candidate.length] as number;
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}
