import { Storage } from '@google-cloud/storage';
import { PlatformError } from '../../runbooks/ports/errors.ts';
import type { NewestObject, StorageObjects, StoredObject } from '../../validation/ports.ts';
import { kindOfHttpStatus } from '../errors.ts';
import type { GoogleTarget } from '../google.ts';
import { gcsStorageOptions, saidOf } from '../reports/gcs.ts';

// The newest object under a Cloud Storage prefix (a backup lane's artifact), through
// @google-cloud/storage: objects.list answers in name order, not by time, so every page under the prefix
// is read (up to `maxObjects`, 1,000 a page) and the one created last is kept. A listing cut short by the
// bound says so, and the check then trusts only a fresh answer.

const SYSTEM = 'storage';

export interface StorageObjectsOptions {
  target: GoogleTarget;
  /** Objects listed at most; default 10,000. */
  maxObjects?: number;
  timeoutMs?: number;
  /** Retries of a request Cloud Storage answered 408, 429 or 5xx (the library's backoff). */
  maxRetries?: number;
}

export function createStorageObjects(options: StorageObjectsOptions): StorageObjects {
  const { maxObjects = 10_000, timeoutMs = 30_000, maxRetries = 2 } = options;
  const storage = new Storage(gcsStorageOptions(options.target, { timeoutMs, maxRetries }));

  return {
    async newest({ bucket, prefix }): Promise<NewestObject> {
      const where = `gs://${bucket}/${prefix}`;
      let newest: StoredObject | undefined;
      let seen = 0;
      let pageToken: string | undefined;
      try {
        do {
          const [files, next] = await storage.bucket(bucket).getFiles({
            prefix,
            autoPaginate: false,
            maxResults: Math.min(1_000, maxObjects - seen),
            ...(pageToken ? { pageToken } : {}),
          });
          for (const file of files) {
            seen += 1;
            const createdAt = file.metadata.timeCreated;
            if (!createdAt) continue;
            if (!newest || Date.parse(createdAt) > Date.parse(newest.createdAt)) {
              const size = Number(file.metadata.size);
              newest = {
                name: file.name,
                uri: `gs://${bucket}/${file.name}`,
                createdAt: new Date(createdAt).toISOString(),
                ...(Number.isFinite(size) ? { size } : {}),
              };
            }
          }
          pageToken = (next as { pageToken?: string } | null)?.pageToken || undefined;
        } while (pageToken && seen < maxObjects);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const status = typeof code === 'number' ? code : undefined;
        const kind = kindOfHttpStatus(status);
        const hint =
          kind === 'permission-denied'
            ? `; grant the bot's service account roles/storage.objectViewer on gs://${bucket}`
            : kind === 'unauthorized'
              ? '; check Application Default Credentials'
              : '';
        throw new PlatformError(
          SYSTEM,
          kind,
          `Cloud Storage: listing ${where} failed${status ? ` (${status})` : ''}: ${saidOf(error).slice(0, 300)}${hint}`,
        );
      }
      return { ...(newest ? { newest } : {}), seen, complete: pageToken === undefined };
    },
  };
}
