import type { CloudBuildClient } from '@google-cloud/cloudbuild';
import type { BuildQuery, CiBuild, CloudBuilds } from '../../validation/ports.ts';
import { type GoogleTarget, googleClientOptions } from '../google.ts';
import { type CallPolicy, callGoogle, callPolicyOf } from '../monitoring/google-call.ts';
import { isoOf } from '../proto-timestamp.ts';

// Cloud Build builds through @google-cloud/cloudbuild (CloudBuildClient.listBuilds ->
// GET /v1/projects/P/builds?parent=projects/P/locations/L&filter=&pageSize=), newest first as Cloud Build
// lists them. One page is read: the external-ci lane wants the newest build of a commit, not history.
// Regional builds (private pools) are listed only under their own location, so the lane names it. The
// library is loaded at the first read: only validation runs with an external-ci lane need it, and it would
// add most of a second to every start-up.

const ROLE = 'roles/cloudbuild.builds.viewer';

export interface CloudBuildOptions extends Partial<CallPolicy> {
  /** Production: {projectId}; tests and the sandbox add the twin's endpoint. */
  google: GoogleTarget;
}

export interface CloudBuildAdapter extends CloudBuilds {
  close(): Promise<void>;
}

/** The status's name whether the transport gave a name or a number. */
function statusName(status: unknown, names: Record<number, string>): string {
  if (typeof status === 'number') return names[status] ?? `STATUS_${status}`;
  return typeof status === 'string' && status ? status : 'STATUS_UNKNOWN';
}

export function createCloudBuild(options: CloudBuildOptions): CloudBuildAdapter {
  const policy = callPolicyOf(options);
  let loading: Promise<{ client: CloudBuildClient; statuses: Record<number, string> }> | undefined;
  const load = () => {
    loading ??= import('@google-cloud/cloudbuild').then((lib) => ({
      // The library bundles its own google-auth-library; the pass-through client of ours fits it by shape.
      client: new lib.CloudBuildClient(
        googleClientOptions(options.google) as ConstructorParameters<typeof lib.CloudBuildClient>[0],
      ),
      statuses: lib.protos.google.devtools.cloudbuild.v1.Build.Status,
    }));
    return loading;
  };

  return {
    async listBuilds(query: BuildQuery): Promise<CiBuild[]> {
      const context = {
        system: 'cloud-build',
        what: `Cloud Build builds of project ${query.project} (${query.location}) matching ${query.filter}`,
        role: ROLE,
      } as const;
      const { client, statuses } = await load();
      const [builds] = await callGoogle(context, policy, async (call) => {
        // Set up here, where a failure (no credentials) is caught by the policy.
        await client.initialize();
        return client.listBuilds(
          {
            projectId: query.project,
            parent: `projects/${query.project}/locations/${query.location}`,
            filter: query.filter,
            pageSize: query.limit,
          },
          call,
        );
      });
      return builds
        .slice(0, query.limit)
        .map((build) => ({
          id: build.id ?? '',
          status: statusName(build.status, statuses),
          ...(build.statusDetail ? { statusDetail: build.statusDetail } : {}),
          ...(isoOf(build.createTime) ? { createTime: isoOf(build.createTime) as string } : {}),
          ...(isoOf(build.finishTime) ? { finishTime: isoOf(build.finishTime) as string } : {}),
          ...(build.logUrl ? { logUrl: build.logUrl } : {}),
          tags: build.tags ?? [],
          images: build.images ?? [],
          substitutions: { ...(build.substitutions ?? {}) },
        }))
        .sort((a, b) => (b.createTime ?? '').localeCompare(a.createTime ?? ''));
    },
    async close() {
      if (loading) await (await loading).client.close().catch(() => {});
    },
  };
}
