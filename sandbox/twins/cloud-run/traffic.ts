import { LATEST, REVISION, TwinError, trafficType } from './wire.ts';

// Traffic validation as Cloud Run does it on update, and the statuses it reports once reconciled.

export interface StoredTarget {
  type: typeof LATEST | typeof REVISION;
  /** Short name; absent for LATEST targets. */
  revision?: string;
  percent: number;
  tag?: string;
}

const TAG = /^[a-z]([-a-z0-9]{0,44}[a-z0-9])?$/;

/** Reads `traffic` from a request body (types as names or numbers, proto3 defaults as absent). */
export function readTraffic(raw: unknown): StoredTarget[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw new TwinError(400, 'Invalid value at traffic: expected a list of TrafficTarget.');
  return raw.map((entry, i) => {
    const t = (entry ?? {}) as Record<string, unknown>;
    const type = trafficType(t.type);
    if (!type) {
      throw new TwinError(
        400,
        `traffic[${i}].type must be ${LATEST} or ${REVISION}, got ${JSON.stringify(t.type)}.`,
      );
    }
    const percent = t.percent === undefined || t.percent === null ? 0 : Number(t.percent);
    const revision = typeof t.revision === 'string' && t.revision ? t.revision : undefined;
    const tag = typeof t.tag === 'string' && t.tag ? t.tag : undefined;
    return {
      type,
      percent,
      ...(revision ? { revision: revision.slice(revision.lastIndexOf('/') + 1) } : {}),
      ...(tag ? { tag } : {}),
    };
  });
}

/** Throws the 400 / 404 Cloud Run answers for a traffic list it would refuse. */
export function validateTraffic(
  traffic: StoredTarget[],
  service: string,
  known: (revision: string) => boolean,
) {
  let sum = 0;
  const tags = new Set<string>();
  traffic.forEach((t, i) => {
    if (!Number.isInteger(t.percent) || t.percent < 0 || t.percent > 100) {
      throw new TwinError(
        400,
        `traffic[${i}].percent must be a whole number from 0 to 100, got ${t.percent}.`,
      );
    }
    sum += t.percent;
    if (t.type === REVISION && !t.revision) {
      throw new TwinError(400, `traffic[${i}]: a target of type ${REVISION} must name a revision.`);
    }
    if (t.type === LATEST && t.revision) {
      throw new TwinError(400, `traffic[${i}]: a target of type ${LATEST} must not name a revision.`);
    }
    if (t.revision && !known(t.revision)) {
      throw new TwinError(
        404,
        `Revision '${t.revision}' named in the traffic of service '${service}' does not exist.`,
      );
    }
    if (t.tag !== undefined) {
      if (!TAG.test(t.tag)) throw new TwinError(400, `traffic[${i}].tag '${t.tag}' is not a valid tag.`);
      if (tags.has(t.tag))
        throw new TwinError(400, `Tag '${t.tag}' is used by more than one traffic target.`);
      tags.add(t.tag);
    }
  });
  if (sum !== 100) throw new TwinError(400, `The traffic percentages must add up to 100, got ${sum}.`);
}

/** What Cloud Run reports serving once reconciled: LATEST resolved to the latest ready revision. */
export function resolveStatuses(traffic: StoredTarget[], latestReady: string | undefined): StoredTarget[] {
  return traffic.map((t) => ({
    ...t,
    ...(t.type === LATEST && latestReady ? { revision: latestReady } : {}),
  }));
}
