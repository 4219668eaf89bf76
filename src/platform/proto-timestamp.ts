// A protobuf Timestamp as the Google libraries hand it over: seconds as a number, a string or a Long
// (whichever the transport gave), nanos as a number.

export type Timestamp = { seconds?: unknown; nanos?: unknown } | null | undefined;

/** RFC 3339, or undefined for an unset timestamp or one that is not a time. */
export function isoOf(time: Timestamp): string | undefined {
  if (!time || time.seconds === undefined || time.seconds === null) return undefined;
  const ms = Number(time.seconds) * 1000 + Math.round(Number(time.nanos ?? 0) / 1e6);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
