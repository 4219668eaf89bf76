import type { SqlBackupRunsServiceClient } from '@google-cloud/sql';
import type { BackupRun, SqlBackups } from '../../validation/ports.ts';
import { type GoogleTarget, googleClientOptions } from '../google.ts';
import { type CallPolicy, callGoogle, callPolicyOf } from '../monitoring/google-call.ts';
import { isoOf } from '../proto-timestamp.ts';

// Cloud SQL backup runs through @google-cloud/sql (SqlBackupRunsServiceClient.list ->
// GET /v1/projects/P/instances/I/backupRuns?maxResults=), which answers them newest first by the time
// they were enqueued. Pages are followed until `limit` runs are read. The library is loaded at the first
// read (only backup lanes need it; it would slow every start-up).

const ROLE = 'roles/cloudsql.viewer';

interface Loaded {
  client: SqlBackupRunsServiceClient;
  statuses: Record<number, string>;
  types: Record<number, string>;
}

export interface CloudSqlOptions extends Partial<CallPolicy> {
  /** Production: {projectId}; tests and the sandbox add the twin's endpoint. */
  google: GoogleTarget;
}

export interface CloudSqlAdapter extends SqlBackups {
  close(): Promise<void>;
}

function nameOf(value: unknown, names: Record<number, string>): string | undefined {
  if (typeof value === 'number') return names[value];
  return typeof value === 'string' && value ? value : undefined;
}

export function createCloudSql(options: CloudSqlOptions): CloudSqlAdapter {
  const policy = callPolicyOf(options);
  let loading: Promise<Loaded> | undefined;
  const load = () => {
    loading ??= import('@google-cloud/sql').then((lib) => ({
      client: new lib.SqlBackupRunsServiceClient(
        googleClientOptions(options.google) as ConstructorParameters<
          typeof lib.SqlBackupRunsServiceClient
        >[0],
      ),
      statuses: lib.protos.google.cloud.sql.v1.SqlBackupRunStatus,
      types: lib.protos.google.cloud.sql.v1.SqlBackupRunType,
    }));
    return loading;
  };

  return {
    async backupRuns(query): Promise<BackupRun[]> {
      const context = {
        system: 'cloud-sql',
        what: `Cloud SQL backup runs of instance ${query.instance} (project ${query.project})`,
        role: ROLE,
      } as const;
      const { client, statuses, types } = await load();
      const runs: BackupRun[] = [];
      let pageToken: string | undefined;
      do {
        const [page] = await callGoogle(context, policy, async (call) => {
          await client.initialize();
          return client.list(
            {
              project: query.project,
              instance: query.instance,
              maxResults: Math.min(query.limit - runs.length, 100),
              ...(pageToken ? { pageToken } : {}),
            },
            { timeout: call.timeout, retry: call.retry },
          );
        });
        for (const run of page.items ?? []) {
          const status = nameOf(run.status, statuses) ?? 'SQL_BACKUP_RUN_STATUS_UNSPECIFIED';
          const type = nameOf(run.type, types);
          const enqueuedTime = isoOf(run.enqueuedTime);
          const endTime = isoOf(run.endTime);
          runs.push({
            id: String(run.id ?? ''),
            status,
            ...(type ? { type } : {}),
            ...(enqueuedTime ? { enqueuedTime } : {}),
            ...(endTime ? { endTime } : {}),
            ...(run.error?.message ? { error: run.error.message } : {}),
          });
        }
        pageToken = page.nextPageToken || undefined;
      } while (pageToken && runs.length < query.limit);
      return runs.slice(0, query.limit);
    },
    async close() {
      if (loading) await (await loading).client.close().catch(() => {});
    },
  };
}
