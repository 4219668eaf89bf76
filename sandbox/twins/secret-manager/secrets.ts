import { crc32c } from '../../../src/platform/secret-manager/crc32c.ts';

// The twin's secrets: numbered versions with a state, an access list, and Secret Manager's rules for
// reading them. Names are `projects/P/secrets/S`, as given (the real service answers with the project
// number; nothing in shiftgate depends on that).

export type VersionState = 'ENABLED' | 'DISABLED' | 'DESTROYED';

interface Version {
  data: Buffer;
  state: VersionState;
}

export type Access =
  | { ok: true; name: string; data: Buffer; crc32c: number }
  | { ok: false; code: number; status: string; message: string };

export class SecretStore {
  private readonly secrets = new Map<string, Version[]>();
  private readonly denied = new Set<string>();

  /** Creates the secret with no versions (a no-op when it exists). */
  create(secret: string): void {
    if (!this.secrets.has(secret)) this.secrets.set(secret, []);
  }

  /** Adds a version, creating the secret when needed; returns the version's full name. */
  addVersion(secret: string, data: string | Uint8Array): string {
    this.create(secret);
    const versions = this.secrets.get(secret) as Version[];
    versions.push({ data: Buffer.from(data), state: 'ENABLED' });
    return `${secret}/versions/${versions.length}`;
  }

  setState(version: string, state: VersionState): void {
    const found = this.find(version);
    if (!found) throw new Error(`twin: no secret version ${version}`);
    if (found.state === 'DESTROYED') throw new Error(`twin: ${version} is destroyed, which is final`);
    found.state = state;
    if (state === 'DESTROYED') found.data = Buffer.alloc(0);
  }

  /** Access to this secret (and all its versions) is refused with PERMISSION_DENIED. */
  deny(secret: string): void {
    this.denied.add(secret);
  }

  access(name: string): Access {
    const match = /^(.+\/secrets\/[^/]+)\/versions\/([^/]+)$/.exec(name);
    if (!match) return fail(400, 'INVALID_ARGUMENT', `Invalid resource field value in the request.`);
    const [, secret = '', id = ''] = match;
    if (this.denied.has(secret)) {
      return fail(
        403,
        'PERMISSION_DENIED',
        `Permission 'secretmanager.versions.access' denied for resource '${name}' (or it may not exist).`,
      );
    }
    const versions = this.secrets.get(secret);
    if (!versions || versions.length === 0) {
      return fail(404, 'NOT_FOUND', `Secret [${secret}] not found or has no versions.`);
    }
    // `latest` is the newest version whatever its state, as on the real service: a disabled newest
    // version fails, it does not fall back to an older enabled one.
    const number = id === 'latest' ? versions.length : Number(id);
    if (!Number.isInteger(number) || number < 1) {
      return fail(400, 'INVALID_ARGUMENT', `Invalid resource field value in the request.`);
    }
    const version = versions[number - 1];
    const full = `${secret}/versions/${number}`;
    if (!version) return fail(404, 'NOT_FOUND', `Secret Version [${full}] not found.`);
    if (version.state !== 'ENABLED') {
      return fail(400, 'FAILED_PRECONDITION', `Secret Version [${full}] is in ${version.state} state.`);
    }
    return { ok: true, name: full, data: version.data, crc32c: crc32c(version.data) };
  }

  clear(): void {
    this.secrets.clear();
    this.denied.clear();
  }

  private find(version: string): Version | undefined {
    const match = /^(.+\/secrets\/[^/]+)\/versions\/(\d+)$/.exec(version);
    return match ? this.secrets.get(match[1] as string)?.[Number(match[2]) - 1] : undefined;
  }
}

function fail(code: number, status: string, message: string): Access {
  return { ok: false, code, status, message };
}
