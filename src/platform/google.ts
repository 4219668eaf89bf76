import { PassThroughClient } from 'google-auth-library';

// Google clients are built from these options in one place. Production passes nothing and the clients
// use Application Default Credentials over gRPC. Tests and the sandbox point them at a twin: REST
// (`fallback: true`, which msw and a plain HTTP server can answer) and a pass-through auth client,
// since without one the library probes the metadata server and fails.

export interface GoogleEndpoint {
  /** Host name (msw in tests) or 127.0.0.1 (the sandbox's HTTP twin). */
  host: string;
  port: number;
  protocol: 'http' | 'https';
}

export interface GoogleTarget {
  projectId: string;
  /** Absent in production. */
  endpoint?: GoogleEndpoint;
}

/**
 * The options every @google-cloud/* client constructor takes, as far as shiftgate sets them. A type
 * alias, not an interface, so it fits the clients' index-signature option types without a cast.
 */
export type GoogleClientOptions = {
  projectId: string;
  fallback?: boolean;
  apiEndpoint?: string;
  port?: number;
  protocol?: string;
  authClient?: PassThroughClient;
};

/** Constructor options for any @google-cloud/* v2 client. */
export function googleClientOptions(target: GoogleTarget): GoogleClientOptions {
  if (!target.endpoint) return { projectId: target.projectId };
  return {
    projectId: target.projectId,
    fallback: true,
    apiEndpoint: target.endpoint.host,
    port: target.endpoint.port,
    protocol: target.endpoint.protocol,
    authClient: new PassThroughClient(),
  };
}
