import { HttpResponse, http, type RequestHandler } from 'msw';
import { answerGoogleCall, googleError } from '../google-rest.ts';
import { Recorder } from '../recorder.ts';

// IAM v1's testIamPermissions on a service account, the one IAM call shiftgate makes (the actAs half of
// "may the bot deploy this service"):
//   POST /v1/projects/P/serviceAccounts/EMAIL:testIamPermissions {permissions} -> {permissions?}
// P may be `-` (IAM finds the account's project from its email). An account the twin was not told about
// is 404 NOT_FOUND, as IAM answers for a deleted or mistyped account; permissions of other resource
// types are refused (400) rather than answered as not granted. Every `iam.serviceAccounts.*` permission
// is granted on a known account unless `setPermissions` names the ones the caller holds.

export const IAM_TWIN_ORIGIN = 'http://iam.twin';

export function createIamTwin(options: { origin?: string } = {}) {
  const origin = (options.origin ?? IAM_TWIN_ORIGIN).replace(/\/$/, '');
  const accounts = new Map<string, Set<string> | 'all'>();
  const recorder = new Recorder();
  const url = new URL(origin);
  const protocol: 'http' | 'https' = url.protocol === 'https:' ? 'https' : 'http';

  const handler = http.post(
    `${origin}/v1/projects/:project/serviceAccounts/:account`,
    ({ request, params }) => {
      const account = decodeURIComponent(String(params.account));
      // msw splits at `/` only: the custom verb stays on the last segment; anything else is another API's.
      if (!account.endsWith(':testIamPermissions')) return undefined;
      return answerGoogleCall(recorder, request, async () => {
        const email = account.slice(0, -':testIamPermissions'.length);
        const granted = accounts.get(email);
        if (!granted)
          return googleError(
            404,
            `Service account projects/${String(params.project)}/serviceAccounts/${email} does not exist.`,
          );
        const body = (await request.json()) as { permissions?: unknown };
        const asked = Array.isArray(body.permissions) ? body.permissions.map(String) : [];
        const wrong = asked.find((p) => !/^iam\.serviceAccounts\.[a-zA-Z]+$/.test(p));
        if (wrong) return googleError(400, `Permission ${wrong} is not valid for this resource.`);
        const permissions = asked.filter((p) => granted === 'all' || granted.has(p));
        return HttpResponse.json(permissions.length > 0 ? { permissions } : {});
      });
    },
  );

  return {
    handlers: [handler] as RequestHandler[],
    recorder,
    origin,
    /** For a GoogleTarget's endpoint. */
    endpoint: { host: url.hostname, port: Number(url.port || (protocol === 'https' ? 443 : 80)), protocol },
    /** A service account that exists; the caller holds every permission on it unless `granted` says. */
    seedAccount(email: string, granted: readonly string[] | 'all' = 'all'): void {
      accounts.set(email, granted === 'all' ? 'all' : new Set(granted));
    },
    /** The permissions the caller holds on a seeded account. */
    setPermissions(email: string, granted: readonly string[] | 'all'): void {
      this.seedAccount(email, granted);
    },
    reset(): void {
      accounts.clear();
      recorder.reset();
    },
  };
}

export type IamTwin = ReturnType<typeof createIamTwin>;
