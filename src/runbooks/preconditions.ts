import type { ShiftgateConfig } from '../config/schema.ts';
import { messageOf } from '../gates/error-result.ts';
import type { GateResult } from '../gates/result.ts';
import type { ServiceRef } from './ports/cloud-run.ts';
import { PlatformError } from './ports/errors.ts';
import { ACT_AS, type Preconditions, type ServiceEnvNames } from './ports/preconditions.ts';

// The preconditions of a canary, before anything is deployed (seeds 000 and 001): the image tag exists in
// Artifact Registry (it is then deployed by its digest), the Cloud Run service exists, the bot may update
// it, and it declares the variables and secret references the config requires (names only). Each is a
// line in the thread with what was observed and what was expected; each is required, advisory or off per
// environment, and only a required one that does not pass stops the rollout.

export interface PreconditionsOutcome {
  results: GateResult[];
  blocking: string[];
  image?: string;
}

type Level = 'required' | 'advisory' | 'off';

export async function checkPreconditions(input: {
  config: ShiftgateConfig;
  env: string;
  ref: ServiceRef;
  image: string;
  requiredEnv: string[];
  requiredSecrets: string[];
  port: Preconditions | undefined;
  at: string;
}): Promise<PreconditionsOutcome> {
  const policy = input.config.environments[input.env]?.preconditions ?? {
    image: 'required',
    service: 'required',
    permissions: 'advisory',
    env: 'required',
  };
  const results: GateResult[] = [];
  const blocking: string[] = [];
  let image: string | undefined;
  const base = (gate: string, metric: string, threshold: string, evidence: string) => ({
    gate,
    kind: 'http' as const,
    metric,
    threshold,
    samples: 1,
    samplesUnit: 'reads',
    evidence,
    at: input.at,
  });
  const add = (level: Level, result: GateResult) => {
    const advisory = level === 'advisory' ? ' (advisory)' : '';
    results.push({
      ...result,
      ...(advisory && result.reason ? { reason: `${result.reason}${advisory}` } : {}),
    });
    // Skipped (not checkable here: another registry, a replica without the reads) never blocks.
    if (level === 'required' && (result.status === 'fail' || result.status === 'error'))
      blocking.push(result.gate);
  };
  const { port, ref } = input;
  // The template holds both the runtime account (permissions) and the variables (env): read it once.
  let read: Promise<ServiceEnvNames> | undefined;
  const template = (from: Preconditions) => {
    read ??= from.serviceEnv(ref);
    return read;
  };
  const service = `${ref.service} (project ${ref.project}, region ${ref.region})`;
  const describe = `gcloud run services describe ${ref.service} --project ${ref.project} --region ${ref.region}`;
  const skipped = (gate: string, metric: string, why: string): GateResult => ({
    ...base(gate, metric, '-', '-'),
    status: 'skipped',
    samples: 0,
    reason: why,
  });
  const failed = (b: ReturnType<typeof base>, error: unknown): GateResult => ({
    ...b,
    status: error instanceof PlatformError && error.kind === 'not-found' ? 'fail' : 'error',
    samples: 0,
    reason: messageOf(error),
  });

  if (policy.image !== 'off') {
    const b = base(
      'image',
      `image ${input.image}`,
      'exists in Artifact Registry',
      `gcloud artifacts docker tags list ${input.image.replace(/[:@][^/]*$/, '')}`,
    );
    if (!port)
      add(policy.image, skipped('image', b.metric, 'no Artifact Registry check is wired in this replica'));
    else {
      try {
        const resolved = await port.resolveImage(input.image);
        image = resolved.image;
        add(policy.image, { ...b, status: 'pass', observed: { value: resolved.digest } });
      } catch (error) {
        // Only Artifact Registry images can be checked: another registry is said, not failed on.
        add(
          policy.image,
          error instanceof PlatformError && error.kind === 'invalid'
            ? { ...skipped('image', b.metric, messageOf(error)) }
            : failed(b, error),
        );
      }
    }
  }
  let exists = true;
  if (policy.service !== 'off') {
    const b = base('service', `Cloud Run service ${service}`, 'exists', describe);
    if (!port)
      add(policy.service, skipped('service', b.metric, 'no Cloud Run check is wired in this replica'));
    else {
      try {
        exists = await port.serviceExists(ref);
        add(
          policy.service,
          exists
            ? { ...b, status: 'pass', observed: { value: 'exists' } }
            : { ...b, status: 'fail', observed: { value: 'not found' }, reason: `no service ${service}` },
        );
      } catch (error) {
        add(policy.service, failed(b, error));
      }
    }
  }
  if (policy.permissions !== 'off' && exists) {
    const b = base(
      'permissions',
      `the bot's permissions on ${ref.service}`,
      'run.services.get, run.services.update, actAs on its runtime account',
      `gcloud run services get-iam-policy ${ref.service} --region ${ref.region}`,
    );
    if (!port)
      add(
        policy.permissions,
        skipped('permissions', b.metric, 'no Cloud Run check is wired in this replica'),
      );
    else {
      try {
        const may = await port.mayDeploy(ref);
        // A revision runs as the template's account: deploying it needs actAs on that account too.
        const account = (await template(port)).serviceAccount;
        const actAs = account === undefined ? undefined : await port.mayActAs(ref.project, account);
        const missing = [...may.missing, ...(actAs === false ? [`${ACT_AS} on ${account}`] : [])];
        add(
          policy.permissions,
          missing.length === 0
            ? {
                ...b,
                status: 'pass',
                observed: {
                  value: account
                    ? `granted, acts as ${account}`
                    : 'granted (runs as the default compute account: actAs not checked)',
                },
              }
            : {
                ...b,
                status: 'fail',
                observed: { value: `missing ${missing.join(', ')}` },
                reason: `the bot lacks ${missing.join(', ')}`,
              },
        );
      } catch (error) {
        add(policy.permissions, failed(b, error));
      }
    }
  }
  const wanted = input.requiredEnv.length + input.requiredSecrets.length;
  if (policy.env !== 'off' && wanted > 0 && exists) {
    const b = base(
      'env',
      `variables of ${ref.service}`,
      `declares ${[...input.requiredEnv, ...input.requiredSecrets.map((s) => `${s} (secret)`)].join(', ')}`,
      `${describe} --format 'yaml(spec.template.spec.containers[0].env)'`,
    );
    if (!port) add(policy.env, skipped('env', b.metric, 'no Cloud Run check is wired in this replica'));
    else {
      try {
        const names = await template(port);
        const missing = [
          ...input.requiredEnv.filter((n) => !names.env.includes(n) && !names.secrets.includes(n)),
          ...input.requiredSecrets.filter((n) => !names.secrets.includes(n)).map((n) => `${n} (secret)`),
        ];
        add(
          policy.env,
          missing.length === 0
            ? { ...b, status: 'pass', observed: { value: `${wanted} of ${wanted} declared` } }
            : {
                ...b,
                status: 'fail',
                observed: { value: `${wanted - missing.length} of ${wanted} declared` },
                reason: `missing ${missing.join(', ')}`,
              },
        );
      } catch (error) {
        add(policy.env, failed(b, error));
      }
    }
  }
  return { results, blocking, ...(image ? { image } : {}) };
}
