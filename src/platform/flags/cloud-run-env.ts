import { createHash } from 'node:crypto';
import type { CloudRun, Revision, ServiceRef } from '../../runbooks/ports/cloud-run.ts';
import { PlatformError } from '../../runbooks/ports/errors.ts';
import type { FlagBackend, FlagChange, FlagReading, FlagSetResult } from '../../runbooks/ports/flags.ts';
import { splitEntries, splitOf } from '../../runbooks/traffic.ts';
import { failure } from './errors.ts';

// Each flag an environment variable of a Cloud Run service: how a team without a flag service ships a
// flag. The version is the serving revision (all traffic, or the largest share); a flag's value is that
// revision's variable ('true'/'1' on, 'false'/'0' off, absent undefined; anything else is 'invalid').
//
// Forward (enable, or disable without an undo): a revision with the serving revision's image and
// variables plus the flags, deployed without traffic and then given all of it. Its name is derived from
// the serving revision and the values, so a redriven call finds it already there (and reuses it when the
// same flags are turned on again from the same revision: no rebuild). Undo (`restore`): all traffic back
// to the revision that served before, instant.
//
// Left to Cloud Run's adapter: the etag'd read-modify-write of each change and the check of the traffic
// it reports. Its errors come back as system 'flags' with the same kind.

export interface CloudRunEnvFlagsOptions {
  cloudRun: CloudRun;
  ref: ServiceRef;
  /** Each flag's environment variable; a flag not named here is its name upper-cased, `.`/`-` as `_`. */
  variables: Record<string, string>;
  /** The flags read() reports. */
  flags: string[];
}

/** The traffic tag of flag revisions (its URL reaches the newest one, whatever its share). */
export const FLAGS_TAG = 'flags';

export const defaultFlagVariable = (flag: string) => flag.toUpperCase().replace(/[.-]/g, '_');

const TRUE = new Set(['true', '1']);
const FALSE = new Set(['false', '0']);

interface Serving {
  revision: Revision & { env: Record<string, string> };
  percent: number;
  reading: FlagReading;
}

export function createCloudRunEnvFlags(options: CloudRunEnvFlagsOptions): FlagBackend {
  const { cloudRun, ref } = options;
  const variableOf = (flag: string) => options.variables[flag] ?? defaultFlagVariable(flag);
  const subject = `Cloud Run service '${ref.service}' (project ${ref.project}, region ${ref.region})`;

  /** A Cloud Run failure as the flags' (the port promises system 'flags'), kind and words kept. */
  async function through<T>(what: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof PlatformError && error.system !== 'flags') {
        throw failure(error.kind, `${what}: ${error.message}`, error);
      }
      throw error;
    }
  }

  function valuesOf(
    what: string,
    revision: string,
    env: Record<string, string>,
    flags: Iterable<string>,
  ): FlagReading['values'] {
    const values: FlagReading['values'] = {};
    for (const flag of flags) {
      const variable = variableOf(flag);
      const raw = env[variable];
      const text = raw?.trim().toLowerCase();
      if (text === undefined) values[flag] = undefined;
      else if (TRUE.has(text)) values[flag] = true;
      else if (FALSE.has(text)) values[flag] = false;
      else {
        throw failure(
          'invalid',
          `${what}: flag '${flag}' is ${variable}=${JSON.stringify(raw)} on revision ${revision} of ${subject}, not true/false/1/0`,
        );
      }
    }
    return values;
  }

  async function serving(what: string, flags: Iterable<string>): Promise<Serving> {
    const state = await through(what, () => cloudRun.describe(ref));
    const [top] = splitEntries(splitOf(state.trafficStatuses));
    if (!top) throw failure('invalid', `${what}: no revision of ${subject} serves traffic`);
    const [name, percent] = top;
    const revision = await through(what, () => cloudRun.describeRevision(ref, name));
    const env = revision.env ?? {};
    const share = percent === 100 ? '' : `, ${percent} % of traffic`;
    return {
      revision: { ...revision, env },
      percent,
      reading: {
        values: valuesOf(what, name, env, flags),
        version: name,
        where: `${ref.service} revision ${name} (project ${ref.project}, region ${ref.region}${share})`,
      },
    };
  }

  /** `<service>-ff-<hash>` of the revision it starts from and the variables it sets: the same call, the same name. */
  function revisionFor(from: string, vars: Record<string, string>): { suffix: string; name: string } {
    const sorted = Object.entries(vars).sort(([a], [b]) => a.localeCompare(b));
    const hash = createHash('sha256')
      .update(JSON.stringify([from, sorted]))
      .digest('hex')
      .slice(0, 10);
    const suffix = `ff-${hash}`;
    return { suffix, name: `${ref.service}-${suffix}` };
  }

  const varsOf = (asked: [string, boolean][]) =>
    Object.fromEntries(asked.map(([flag, on]) => [variableOf(flag), String(on)]));

  /** The revision if it exists (a deleted or never-made one is undefined). */
  async function existing(what: string, name: string): Promise<Revision | undefined> {
    try {
      return await through(what, () => cloudRun.describeRevision(ref, name));
    } catch (error) {
      if (error instanceof PlatformError && error.kind === 'not-found') return undefined;
      throw error;
    }
  }

  /** All traffic to `revision`, then read back: it serves and the flags read as asked. */
  async function moveTo(
    what: string,
    revision: string,
    asked: [string, boolean][],
    flags: Set<string>,
  ): Promise<FlagReading> {
    await through(what, () => cloudRun.rollbackTo(ref, revision));
    const after = await serving(`${what} (read back)`, flags);
    // An absent variable reads as off (the undo to a revision from before the flag existed).
    const wrong = asked.filter(([flag, on]) => (after.reading.values[flag] ?? false) !== on);
    if (after.reading.version !== revision || after.percent !== 100 || wrong.length > 0) {
      const said =
        after.reading.version !== revision || after.percent !== 100
          ? `${after.reading.version} serves ${after.percent} %, not ${revision} 100 %`
          : wrong
              .map(([flag, on]) => `${flag} reads ${after.reading.values[flag] ?? 'absent'}, not ${on}`)
              .join('; ');
      throw failure('verify-failed', `${what}: ${subject} accepted the change, but ${said}`);
    }
    return after.reading;
  }

  /** A revision of what serves plus the flags, all traffic on it. */
  async function forward(
    what: string,
    from: Serving,
    asked: [string, boolean][],
    flags: Set<string>,
  ): Promise<FlagReading> {
    const vars = varsOf(asked);
    const { suffix, name } = revisionFor(from.reading.version, vars);
    const found = await existing(what, name);
    if (found && !found.ready) {
      throw failure(
        'operation-failed',
        `${what}: revision ${name} of ${subject} (the flags set) exists but is not ready; it may fail to start with them`,
      );
    }
    if (!found) {
      await through(what, () =>
        cloudRun.deployNoTraffic(ref, {
          image: from.revision.image,
          tag: FLAGS_TAG,
          revisionSuffix: suffix,
          env: { ...from.revision.env, ...vars },
        }),
      );
    }
    return moveTo(what, name, asked, flags);
  }

  return {
    async read() {
      return (await serving('read flags', options.flags)).reading;
    },

    async set(change: FlagChange): Promise<FlagSetResult> {
      const asked = Object.entries(change.values);
      const what = `set ${asked.map(([flag, on]) => `${flag}=${on}`).join(', ')}`;
      const flags = new Set([...options.flags, ...asked.map(([flag]) => flag)]);
      const now = await serving(what, flags);
      const before = now.reading.version;
      const already = asked.every(([flag, on]) => now.reading.values[flag] === on);

      if (already && now.percent === 100) {
        // A redriven forward change whose traffic move landed: what served before is still known, since
        // this revision's name says which revision it was made from.
        const redriven =
          change.ifVersion !== undefined &&
          change.restore === undefined &&
          before === revisionFor(change.ifVersion, varsOf(asked)).name;
        return { ...now.reading, written: false, ...(redriven ? { restore: change.ifVersion } : {}) };
      }
      if (change.ifVersion !== undefined && change.ifVersion !== before) {
        throw failure(
          'conflict',
          `${what}: ${subject} serves revision ${before} now, not ${change.ifVersion} as when the flags were read`,
        );
      }
      // The flags are right but the revision shares traffic: give it all, nothing to build.
      if (already) {
        return { ...(await moveTo(what, before, asked, flags)), written: true };
      }
      if (change.restore !== undefined && change.restore !== before) {
        const target = await existing(what, change.restore);
        const names = asked.map(([flag]) => flag);
        const values = target?.ready ? valuesOf(what, change.restore, target.env ?? {}, names) : undefined;
        // Only a revision that reads as asked is an undo; otherwise (deleted, or other values) go forward.
        // A variable the revision never had is a flag that was off: the app reads it so.
        if (values && asked.every(([flag, on]) => (values[flag] ?? false) === on)) {
          const after = await moveTo(what, change.restore, asked, flags);
          return { ...after, written: true, restore: before };
        }
      }
      const after = await forward(what, now, asked, flags);
      return { ...after, written: true, restore: before };
    },
  };
}
