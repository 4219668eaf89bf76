import { HttpResponse, http, type RequestHandler } from 'msw';
import { answerGoogleCall, googleError, pageToken, readPageToken, wantsIntEnums } from '../google-rest.ts';
import { Recorder } from '../recorder.ts';

// Cloud SQL Admin's backup runs as @google-cloud/sql lists them over REST:
//   GET /v1/projects/P/instances/I/backupRuns?maxResults=&pageToken=
//   -> {kind: 'sql#backupRunsList', items: [sql#backupRun, ...], nextPageToken}
// newest first by enqueuedTime, as Cloud SQL answers; ids are int64 as strings; statuses and types as
// enum numbers when the client asks for int enums. An unknown instance is 404, a denied one 403, both
// in Google's error shape.

export const RUN_STATUSES = [
  'SQL_BACKUP_RUN_STATUS_UNSPECIFIED',
  'ENQUEUED',
  'OVERDUE',
  'RUNNING',
  'FAILED',
  'SUCCESSFUL',
  'SKIPPED',
  'DELETION_PENDING',
  'DELETION_FAILED',
  'DELETED',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
const RUN_TYPES = ['SQL_BACKUP_RUN_TYPE_UNSPECIFIED', 'AUTOMATED', 'ON_DEMAND'] as const;
export type RunType = Exclude<(typeof RUN_TYPES)[number], 'SQL_BACKUP_RUN_TYPE_UNSPECIFIED'>;

export interface TwinBackupRun {
  id: string;
  status: RunStatus;
  type: RunType;
  enqueuedTime: string;
  startTime?: string;
  endTime?: string;
  error?: string;
}

export interface CloudSqlTwinOptions {
  origin?: string;
  now?: () => number;
}

export interface NewBackupRun {
  status?: RunStatus;
  type?: RunType;
  /** When it ended (ISO); default now for a finished run. It was enqueued and started 5 minutes before. */
  endTime?: string;
  error?: string;
}

export interface CloudSqlTwin {
  handlers: RequestHandler[];
  recorder: Recorder;
  createInstance(project: string, instance: string): void;
  /** A backup run of the instance (created if missing); its id. */
  addBackupRun(project: string, instance: string, run?: NewBackupRun): string;
  /** The bot's service account may not read the instance: 403. */
  deny(project: string, instance: string): void;
  reset(): void;
}

export const CLOUD_SQL_TWIN_ORIGIN = 'http://sqladmin.twin';
const DEFAULT_PAGE = 100;
const FIVE_MINUTES = 5 * 60_000;

export function createCloudSqlTwin(options: CloudSqlTwinOptions = {}): CloudSqlTwin {
  const origin = (options.origin ?? CLOUD_SQL_TWIN_ORIGIN).replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const recorder = new Recorder();
  const instances = new Map<string, TwinBackupRun[]>();
  const denied = new Set<string>();
  let lastId = 1_764_000_000_000;

  const key = (project: string, instance: string) => `${project}/${instance}`;

  function resource(project: string, instance: string, run: TwinBackupRun, intEnums: boolean) {
    return {
      kind: 'sql#backupRun',
      status: intEnums ? RUN_STATUSES.indexOf(run.status) : run.status,
      enqueuedTime: run.enqueuedTime,
      id: run.id,
      ...(run.startTime ? { startTime: run.startTime } : {}),
      ...(run.endTime ? { endTime: run.endTime } : {}),
      ...(run.error
        ? { error: { kind: 'sql#operationError', code: 'BACKUP_FAILED', message: run.error } }
        : {}),
      type: intEnums ? RUN_TYPES.indexOf(run.type) : run.type,
      windowStartTime: run.enqueuedTime,
      instance,
      selfLink: `https://sqladmin.googleapis.com/v1/projects/${project}/instances/${instance}/backupRuns/${run.id}`,
      location: 'us',
      backupKind: intEnums ? 1 : 'SNAPSHOT',
    };
  }

  const handlers: RequestHandler[] = [
    http.get(`${origin}/v1/projects/:project/instances/:instance/backupRuns`, ({ request, params }) =>
      answerGoogleCall(recorder, request, () => {
        const project = String(params.project);
        const instance = String(params.instance);
        if (denied.has(key(project, instance)))
          return googleError(403, 'The client is not authorized to make this request.');
        const runs = instances.get(key(project, instance));
        if (!runs) return googleError(404, 'The Cloud SQL instance does not exist.');
        const url = new URL(request.url);
        const size = Math.min(Number(url.searchParams.get('maxResults')) || DEFAULT_PAGE, 1000);
        const token = url.searchParams.get('pageToken');
        const offset = token ? readPageToken(token, key(project, instance)) : 0;
        const sorted = [...runs].sort((a, b) => b.enqueuedTime.localeCompare(a.enqueuedTime));
        const intEnums = wantsIntEnums(url);
        return HttpResponse.json({
          kind: 'sql#backupRunsList',
          items: sorted.slice(offset, offset + size).map((run) => resource(project, instance, run, intEnums)),
          ...(offset + size < sorted.length
            ? { nextPageToken: pageToken(offset + size, key(project, instance)) }
            : {}),
        });
      }),
    ),
  ];

  return {
    handlers,
    recorder,
    createInstance(project, instance) {
      if (!instances.has(key(project, instance))) instances.set(key(project, instance), []);
    },
    addBackupRun(project, instance, run = {}) {
      if (!instances.has(key(project, instance))) instances.set(key(project, instance), []);
      const status = run.status ?? 'SUCCESSFUL';
      const finished = !['ENQUEUED', 'RUNNING', 'OVERDUE'].includes(status);
      const end = Date.parse(run.endTime ?? new Date(now()).toISOString());
      lastId += 1;
      const id = String(lastId);
      (instances.get(key(project, instance)) as TwinBackupRun[]).push({
        id,
        status,
        type: run.type ?? 'AUTOMATED',
        enqueuedTime: new Date(end - FIVE_MINUTES).toISOString(),
        ...(status === 'ENQUEUED' ? {} : { startTime: new Date(end - FIVE_MINUTES).toISOString() }),
        ...(finished ? { endTime: new Date(end).toISOString() } : {}),
        ...(run.error ? { error: run.error } : {}),
      });
      return id;
    },
    deny: (project, instance) => void denied.add(key(project, instance)),
    reset() {
      instances.clear();
      denied.clear();
      recorder.reset();
    },
  };
}
