import { code, md, mdJoin } from '../blocks/message.ts';
import { closest, NAME } from '../config/names.ts';
import type { Parsed } from './args.ts';

// The flags of `/validate <env>` that say what is validated beyond the environment: `--phase` (lanes
// limited to a phase, such as the backup lane of legacy deletion) and the release's `--sha <commit>` or
// `--image <tag>` (what external-ci lanes read the CI result of).

export interface ReleaseFlags {
  phase?: string;
  sha?: string;
  image?: string;
}

const SHA = /^[0-9a-f]{7,40}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const REFERENCE =
  /^[a-z0-9.-]+(?::\d+)?(?:\/[a-z0-9._-]+)+(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$/;

export function releaseFlags(
  flags: { phase?: string | boolean; sha?: string | boolean; image?: string | boolean },
  phases: readonly string[],
  env: string,
): Parsed<ReleaseFlags> {
  const value: ReleaseFlags = {};
  const { phase, sha, image } = flags;
  if (typeof sha === 'string' && typeof image === 'string')
    return {
      ok: false,
      error: md`Give \`--sha\` or \`--image\`, not both: external-ci lanes read the CI result of one of them.`,
    };
  if (typeof sha === 'string') {
    const lower = sha.toLowerCase();
    if (!SHA.test(lower))
      return {
        ok: false,
        error: md`${code(sha.slice(0, 80))} is not a commit SHA: 7 to 40 hexadecimal characters, like \`1a2b3c4\`.`,
      };
    value.sha = lower;
  }
  if (typeof image === 'string') {
    if (!TAG.test(image) && !REFERENCE.test(image))
      return {
        ok: false,
        error: md`${code(image.slice(0, 80))} is not an image: give its tag, like \`v1.42.0\`, or a full reference, like \`us-central1-docker.pkg.dev/p/repo/app:v1.42.0\`.`,
      };
    value.image = image;
  }
  if (typeof phase === 'string') {
    if (!phases.includes(phase)) {
      const known = mdJoin(
        phases.map((p) => md`${code(p)}`),
        ', ',
      );
      const near = NAME.test(phase) ? closest(phase, phases) : undefined;
      return {
        ok: false,
        error:
          phases.length === 0
            ? md`No lane of the ${code(env)} matrix is limited to a phase, so there is no phase ${code(phase.slice(0, 40))} to validate: run \`/validate ${env}\` without \`--phase\`.`
            : md`Unknown phase ${code(phase.slice(0, 40))}.${near ? md` Did you mean ${code(near)}?` : ''} Phases of the ${code(env)} matrix: ${known}.`,
      };
    }
    value.phase = phase;
  }
  return { ok: true, value };
}
