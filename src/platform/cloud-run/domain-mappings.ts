import { z } from 'zod';
import type { DomainMapping, DomainMappingRef, DomainMappings } from '../../gates/ports/domain-mappings.ts';
import { kindOfHttpStatus } from '../errors.ts';
import type { GoogleTarget } from '../google.ts';
import {
  callGoogleRest,
  googleMessage,
  type RestAuth,
  restAuthOf,
  restFailure,
  restUrl,
} from '../google-rest.ts';
import { SYSTEM } from './errors.ts';

// Cloud Run domain mappings (seed 001's `gcloud beta run domain-mappings describe`). They exist only in
// the Admin API v1 (Knative-style resources, `domains.cloudrun.com/v1`), which @google-cloud/run (v2)
// has no client for, so this calls the REST API with google-auth-library: Application Default
// Credentials in production, a pass-through client against a twin. v1 namespaced resources are served
// by the regional endpoint only: GET https://{region}-run.googleapis.com/apis/domains.cloudrun.com/v1/
// namespaces/{project}/domainmappings/{domain}. One attempt per read, bounded by a timeout: the gate is
// evaluated again at the next tick, and an unreadable mapping is an `error`, never a `fail`.

export interface DomainMappingsOptions {
  google: GoogleTarget;
  /** Deadline of one read; default 30 s. */
  callTimeoutMs?: number;
  /** The authorized HTTP client; by default ADC, or a pass-through client when `google.endpoint` is set. */
  auth?: RestAuth;
}

const condition = z.object({
  type: z.string(),
  status: z.string().default('Unknown'),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
});

const resourceRecord = z.object({
  name: z.string().default(''),
  type: z.string().default('RECORD_TYPE_UNSPECIFIED'),
  rrdata: z.string().default(''),
});

// Loose objects: the resource carries much more (apiVersion, kind, metadata.uid, annotations...).
const domainMappingAnswer = z.object({
  metadata: z.object({ name: z.string().optional(), generation: z.number().optional() }).optional(),
  spec: z.object({ routeName: z.string().default('') }).optional(),
  status: z
    .object({
      conditions: z.array(condition).default([]),
      observedGeneration: z.number().optional(),
      resourceRecords: z.array(resourceRecord).default([]),
      mappedRouteName: z.string().optional(),
    })
    .optional(),
});

/** The URL of one mapping: the regional endpoint in production, the twin's endpoint otherwise. */
export function domainMappingUrl(target: GoogleTarget, ref: DomainMappingRef): string {
  const path = `/apis/domains.cloudrun.com/v1/namespaces/${encodeURIComponent(ref.project)}/domainmappings/${encodeURIComponent(ref.domain)}`;
  return restUrl(target, `${ref.region}-run.googleapis.com`, path);
}

export function createDomainMappings(options: DomainMappingsOptions): DomainMappings {
  const { google } = options;
  const timeoutMs = options.callTimeoutMs ?? 30_000;
  const auth: RestAuth = options.auth ?? restAuthOf(google);

  return {
    async get(ref: DomainMappingRef): Promise<DomainMapping | undefined> {
      const subject = `the domain mapping of ${ref.domain} (project ${ref.project}, region ${ref.region})`;
      const url = domainMappingUrl(google, ref);
      const { status, body } = await callGoogleRest({
        auth,
        url,
        method: 'GET',
        timeoutMs,
        subject,
        api: 'Cloud Run',
        system: SYSTEM,
      });
      // Google's NOT_FOUND body: there is no such mapping. A bare 404 is a wrong endpoint, not an answer.
      if (status === 404 && googleMessage(body) !== undefined) return undefined;
      if (status < 200 || status >= 300) {
        const said = googleMessage(body) ?? `HTTP ${status}`;
        throw restFailure(
          SYSTEM,
          kindOfHttpStatus(status),
          `${subject}: ${wordsFor(status)} (Cloud Run: ${said})`,
        );
      }
      const parsed = domainMappingAnswer.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
        throw restFailure(
          SYSTEM,
          'invalid',
          `${subject}: Cloud Run answered in an unexpected shape (${body === undefined ? 'not JSON' : `${where}${issue?.message}`})`,
        );
      }
      const { metadata, spec, status: observed } = parsed.data;
      const generation = metadata?.generation;
      const observedGeneration = observed?.observedGeneration;
      return {
        domain: metadata?.name ?? ref.domain,
        routeName: spec?.routeName ?? '',
        ...(observed?.mappedRouteName ? { mappedRouteName: observed.mappedRouteName } : {}),
        conditions: observed?.conditions ?? [],
        resourceRecords: observed?.resourceRecords ?? [],
        reconciled:
          generation === undefined || (observedGeneration !== undefined && observedGeneration >= generation),
      };
    },
  };
}

function wordsFor(status: number): string {
  if (status === 401) return 'credentials rejected';
  // run.domainmappings.get is in roles/run.viewer.
  if (status === 403) return 'permission denied (needs run.domainmappings.get, e.g. roles/run.viewer)';
  if (status === 429) return 'rate limited by Cloud Run';
  if (status === 404) return 'no domain-mappings API at this endpoint';
  return status >= 500 ? 'Cloud Run unavailable' : 'Cloud Run refused the request';
}

/** The message of Google's `{error: {code, message, status}}`. */
