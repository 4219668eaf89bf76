import { messageOf } from '../../gates/error-result.ts';
import { servingRevision, splitOf } from '../../runbooks/traffic.ts';
import type { CheckContext, ValidationPorts } from './context.ts';

// Which commit or image an external-ci lane asks about, in this order:
//   1. `/validate <env> --sha <commit>`: that commit;
//   2. `/validate <env> --image <tag>`: that image (a bare tag is <service image>:<tag>);
//   3. the lane's `commitEnv`: the commit in that environment variable of the revision serving traffic;
//   4. otherwise the image that revision runs (when its tag is a commit SHA, that commit too).
// What cannot be known is said in words naming what to pass instead.

export interface ReleaseSubjectOf {
  sha?: string;
  /** A full image reference: repo:tag or repo@sha256:digest. */
  image?: string;
  /** Where it came from, for the row: "--sha", "COMMIT_SHA of revision runtime-00012-def", ... */
  from: string;
}

const HEX_SHA = /^[0-9a-f]{7,40}$/;

export function isCommitSha(text: string): boolean {
  return HEX_SHA.test(text);
}

/** A bare tag becomes `<repository>:<tag>`; a full reference stays as it is. */
export function fullImage(image: string, repository: string): string {
  return image.includes('/') ? image : `${repository}:${image}`;
}

/** The tag of `repo:tag` (not of `host:port/repo`), or undefined for a digest or untagged reference. */
export function imageTag(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? image.slice(colon + 1) : undefined;
}

export async function releaseSubject(
  ctx: CheckContext,
  commitEnv: string | undefined,
  ports: Pick<ValidationPorts, 'cloudRun'>,
): Promise<ReleaseSubjectOf | { problem: string }> {
  const { subject, target } = ctx;
  if (subject.sha) return { sha: subject.sha, from: '--sha' };
  if (subject.image) return { image: fullImage(subject.image, target.image), from: '--image' };
  const pass = '; pass `--sha <commit>` or `--image <tag>` to /validate';
  let state: Awaited<ReturnType<CheckContext['describe']>>;
  try {
    state = await ctx.describe();
  } catch (error) {
    return {
      problem: `the revision serving ${target.cloudRunService} could not be read: ${messageOf(error)}${pass}`,
    };
  }
  const revision = servingRevision(splitOf(state.trafficStatuses)) ?? state.latestReadyRevision;
  if (!revision) return { problem: `no revision of ${target.cloudRunService} serves traffic${pass}` };
  if (commitEnv) {
    if (!ports.cloudRun.describeRevision)
      return { problem: `revisions cannot be read on this replica, so ${commitEnv} is unknown${pass}` };
    try {
      const described = await ports.cloudRun.describeRevision(state.ref, revision);
      const sha = described.env?.[commitEnv]?.trim();
      if (sha) return { sha, from: `${commitEnv} of revision ${revision}` };
      return {
        problem: `revision ${revision} has no ${commitEnv} environment variable with the commit${pass}`,
      };
    } catch (error) {
      return { problem: `revision ${revision} could not be read: ${messageOf(error)}${pass}` };
    }
  }
  const image = state.images[revision] ?? (revision === state.latestCreatedRevision ? state.image : '');
  if (!image) return { problem: `the image of revision ${revision} is not known${pass}` };
  const tag = imageTag(image);
  return {
    image,
    ...(tag && isCommitSha(tag) ? { sha: tag } : {}),
    from: `the image revision ${revision} serves`,
  };
}
