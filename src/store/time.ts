import { randomBytes } from 'node:crypto';

/** Store clocks are milliseconds since the epoch (injectable, so tests are deterministic). */
export type Clock = () => number;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * An id that reads as what and when, unique across replicas: `prefix-20261130T051500-3fa2` (the time to
 * the second, then a random part so two made in the same second differ).
 */
export function timedId(prefix: string, at: Date | string): string {
  const stamp = (typeof at === 'string' ? at : at.toISOString()).replace(/[-:]/g, '').slice(0, 15);
  return `${prefix}-${stamp}-${randomBytes(2).toString('hex')}`;
}
