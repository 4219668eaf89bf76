import { z } from 'zod';

// The Prometheus HTTP API's envelope for /api/v1/query:
//   {status: "success", data: {resultType, result}, warnings?, infos?}
//   {status: "error", errorType, error, warnings?}
// A vector's result is [{metric, value: [unix seconds, "1.5"]}]; a scalar's is [unix seconds, "1.5"].
// Sample values are strings so that "NaN", "+Inf" and "-Inf" survive JSON.

const sample = z.tuple([z.number(), z.string()]);

export const queryAnswer = z.union([
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({
        resultType: z.literal('vector'),
        result: z.array(
          z.object({
            metric: z.record(z.string(), z.string()),
            value: sample.optional(),
            histogram: z.unknown().optional(),
          }),
        ),
      }),
      z.object({ resultType: z.literal('scalar'), result: sample }),
      z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
      z.object({ resultType: z.literal('string'), result: z.unknown() }),
    ]),
    warnings: z.array(z.string()).optional(),
    infos: z.array(z.string()).optional(),
  }),
  z.object({
    status: z.literal('error'),
    errorType: z.string(),
    error: z.string(),
    warnings: z.array(z.string()).optional(),
  }),
]);

export type QueryAnswer = z.infer<typeof queryAnswer>;

/** A sample value as Prometheus writes it (Go's float formatting), or undefined when it is not one. */
export function parseSampleValue(text: string): number | undefined {
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  const value = Number(text);
  return text.trim() === '' || Number.isNaN(value) ? undefined : value;
}

/** Unix seconds with a fractional part, as Prometheus writes timestamps. */
export function parseTimestamp(seconds: number): Date {
  return new Date(Math.round(seconds * 1000));
}
