import type { ShiftgateConfig } from '../../config/schema.ts';
import { messageOf } from '../../gates/error-result.ts';
import type { Store } from '../../store/index.ts';
import { timedId } from '../../store/time.ts';
import type { Logger } from '../effects.ts';
import type { Executor } from '../executor.ts';
import type { KindRegistry } from '../kind.ts';
import type { CloudRun } from '../ports/cloud-run.ts';
import type { ValidationHistory } from '../ports/validations.ts';
import type { Person } from '../principals.ts';

// What the engine's use cases (start, send an event, start a rollback, sweep) need, named explicitly.
// src/bot wires them from the replica's Redis connections, clients and config.

export interface UseCaseDeps {
  store: Store;
  config: ShiftgateConfig;
  /** Reads only: the serving revision and the revisions a rollback may go back to. */
  cloudRun: Pick<CloudRun, 'describe' | 'listRevisions'>;
  executor: Executor;
  kinds: KindRegistry;
  now: () => Date;
  log: Logger;
  /** A user with their Slack groups, for the roles. */
  personOf(userId: string): Promise<Person>;
  /** The validation matrix's past runs (the promotion gate, `requireGo`); absent: none is on record. */
  validations?: ValidationHistory;
  /** A new rollout id. */
  newId(service: string, env: string): string;
}

/** `<service>-<env>-<yyyymmddThhmmss>-<4 hex>`. */
export function defaultId(service: string, env: string, now: Date): string {
  return timedId(`${service}-${env}`, now);
}

/** A refusal by the roles, in the audit stream; the refusal itself is returned as data. */
export async function auditRefusal(
  deps: Pick<UseCaseDeps, 'store' | 'now' | 'log'>,
  who: string,
  what: string,
  scope: { rolloutId?: string; service: string; env: string },
  why: string,
): Promise<void> {
  await deps.store.audit
    .append({ who, what: `${what}.refused`, ...scope, reason: why, at: deps.now().toISOString() })
    .catch((error: unknown) => deps.log.error('audit append failed', { ...scope, error: messageOf(error) }));
}
