import type { CanaryRunbook } from '../../src/config/runbooks.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';

/** The config's canary runbook of that name, or undefined when it has none (or one of another kind). */
export function canaryOf(
  config: Pick<ShiftgateConfig, 'runbooks'>,
  name = 'canary',
): CanaryRunbook | undefined {
  const book = config.runbooks[name];
  return book?.kind === 'canary' ? book : undefined;
}
