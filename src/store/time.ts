/** Store clocks are milliseconds since the epoch (injectable, so tests are deterministic). */
export type Clock = () => number;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
