import { createHash } from 'node:crypto';
import { crc32c } from '../../../src/platform/secret-manager/crc32c.ts';

// The twin's buckets and objects, with Cloud Storage's rules: generations that change with every write,
// preconditions on them, MD5 and CRC32C of the content (the client library checks both), and the
// object resource of the JSON API (numbers as strings, hashes as base64).

export interface StoredObject {
  bucket: string;
  name: string;
  data: Buffer;
  contentType: string;
  metadata: Record<string, string>;
  generation: string;
  metageneration: string;
  timeCreated: string;
  updated: string;
}

export type Refusal = { code: number; reason: string; message: string };

export class BucketStore {
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  private readonly denied = new Map<string, string>();
  private lastGeneration = 0;
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  createBucket(bucket: string): void {
    if (!this.buckets.has(bucket)) this.buckets.set(bucket, new Map());
  }

  hasBucket(bucket: string): boolean {
    return this.buckets.has(bucket);
  }

  /** The service account lacks `permission` on the bucket: requests needing it answer 403. */
  deny(bucket: string, permission: string): void {
    this.denied.set(bucket, permission);
  }

  /** The refusal a request on this bucket meets before anything else, if any. */
  refusal(bucket: string, needs: string): Refusal | undefined {
    const denied = this.denied.get(bucket);
    if (denied && (denied === '*' || denied === needs)) {
      return {
        code: 403,
        reason: 'forbidden',
        message: `shiftgate@p.iam.gserviceaccount.com does not have ${needs} access to the Google Cloud Storage ${needs.startsWith('storage.objects') ? 'object' : 'bucket'}. Permission '${needs}' denied on resource (or it may not exist).`,
      };
    }
    if (!this.buckets.has(bucket)) {
      return { code: 404, reason: 'notFound', message: 'The specified bucket does not exist.' };
    }
    return undefined;
  }

  get(bucket: string, name: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.get(name);
  }

  /**
   * Writes the object (a new generation each time, as Cloud Storage does even for the same bytes).
   * `ifGenerationMatch` 0 means "only if it does not exist".
   */
  put(
    bucket: string,
    name: string,
    data: Buffer,
    options: {
      contentType?: string;
      metadata?: Record<string, string>;
      ifGenerationMatch?: string;
      /** When it was written (ms), for an object written before the test began; default now. */
      at?: number;
    },
  ): StoredObject | Refusal {
    const objects = this.buckets.get(bucket) as Map<string, StoredObject>;
    const existing = objects.get(name);
    const wanted = options.ifGenerationMatch;
    if (wanted !== undefined && wanted !== (existing?.generation ?? '0')) {
      return {
        code: 412,
        reason: 'conditionNotMet',
        message: 'At least one of the pre-conditions you specified did not hold.',
      };
    }
    const written = options.at ?? this.now();
    const at = new Date(written).toISOString();
    // Microseconds since the epoch, strictly increasing, as real generations are.
    this.lastGeneration = Math.max(this.lastGeneration + 1, written * 1000);
    const object: StoredObject = {
      bucket,
      name,
      data,
      contentType: options.contentType ?? 'application/octet-stream',
      metadata: options.metadata ?? {},
      generation: String(this.lastGeneration),
      metageneration: '1',
      timeCreated: at,
      updated: at,
    };
    objects.set(name, object);
    return object;
  }

  delete(bucket: string, name: string): boolean {
    return this.buckets.get(bucket)?.delete(name) ?? false;
  }

  /** Objects whose names start with `prefix`, in name order (as Cloud Storage lists them). */
  list(bucket: string, prefix: string): StoredObject[] {
    return [...(this.buckets.get(bucket)?.values() ?? [])]
      .filter((object) => object.name.startsWith(prefix))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  clear(): void {
    this.buckets.clear();
    this.denied.clear();
  }
}

export function md5Base64(data: Buffer): string {
  return createHash('md5').update(data).digest('base64');
}

/** Cloud Storage's crc32c field: the big-endian CRC32C, base64. */
export function crc32cBase64(data: Buffer): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc32c(data));
  return bytes.toString('base64');
}

/** The JSON API's object resource (storage#object). */
export function objectResource(origin: string, object: StoredObject, options: { badHash?: boolean } = {}) {
  const path = `b/${encodeURIComponent(object.bucket)}/o/${encodeURIComponent(object.name)}`;
  const data = options.badHash ? Buffer.concat([object.data, Buffer.from('!')]) : object.data;
  return {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    selfLink: `${origin}/storage/v1/${path}`,
    mediaLink: `${origin}/download/storage/v1/${path}?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket: object.bucket,
    generation: object.generation,
    metageneration: object.metageneration,
    contentType: object.contentType,
    storageClass: 'STANDARD',
    size: String(object.data.length),
    md5Hash: md5Base64(data),
    crc32c: crc32cBase64(data),
    etag: Buffer.from(object.generation).toString('base64'),
    timeCreated: object.timeCreated,
    updated: object.updated,
    timeStorageClassUpdated: object.timeCreated,
    ...(Object.keys(object.metadata).length > 0 ? { metadata: object.metadata } : {}),
  };
}
