import { errorResult, messageOf } from '../error-result.ts';
import type { DomainMapping, DomainMappingCondition, DomainMappings } from '../ports/domain-mappings.ts';
import type { GateContext, GateOf, GateProvider, GateResult } from '../result.ts';

// Seed 001's domain-mapping check: `gcloud beta run domain-mappings describe --domain D` must show
// spec.routeName = the service, Ready=True and CertificateProvisioned=True. A mapping Cloud Run is still
// working on (conditions Unknown: the certificate is being issued, DNS not yet seen) is `inconclusive`,
// with the DNS records it waits for: the seed then runs its smokes on the service's run.app URL (http
// gates with `target: service`) and records the mapping status in the report, which this result's
// line is. A mapping that routes elsewhere, a condition that is False, or no mapping at all is `fail`.

type DomainMappingGate = GateOf<'domain-mapping'>;

export interface DomainMappingGateDeps {
  mappings: DomainMappings;
}

/** The conditions the seed requires; DomainRoutable is shown too but Ready already depends on it. */
const REQUIRED = ['Ready', 'CertificateProvisioned'] as const;

/**
 * Reasons Cloud Run gives while it is still provisioning, whatever the status says: a condition that is
 * False with one of them is pending, not failed (the certificate is retried until DNS points at Google).
 */
const PENDING_REASONS = new Set(['CertificatePending']);

export function createDomainMappingGate(deps: DomainMappingGateDeps): GateProvider<DomainMappingGate> {
  async function evaluate(name: string, gate: DomainMappingGate, ctx: GateContext): Promise<GateResult> {
    const expected = ctx.service;
    const metric = `domain ${gate.domain}`;
    const threshold = `${expected}, ${REQUIRED.map((t) => `${t}=True`).join(', ')}`;
    const evidence = `gcloud beta run domain-mappings describe --project ${ctx.project} --region ${ctx.region} --domain ${gate.domain}`;
    const base = { gate: name, kind: 'domain-mapping' as const, metric, threshold, evidence };
    const at = ctx.now().toISOString();

    let mapping: DomainMapping | undefined;
    try {
      mapping = await deps.mappings.get({ project: ctx.project, region: ctx.region, domain: gate.domain });
    } catch (error) {
      return errorResult(name, gate, ctx, { metric, threshold, evidence, reason: messageOf(error) });
    }
    if (!mapping) {
      return {
        ...base,
        status: 'fail',
        observed: { value: 'no mapping', unit: 'mapping' },
        samples: 1,
        reason: `no domain mapping for ${gate.domain} in project ${ctx.project}, region ${ctx.region}`,
        at,
      };
    }

    const byType = new Map(mapping.conditions.map((c) => [c.type, c]));
    const problems: string[] = [];
    if (mapping.routeName !== expected) problems.push(`routes to ${mapping.routeName}, expected ${expected}`);
    const pending: string[] = [];
    for (const type of REQUIRED) {
      const condition = byType.get(type);
      if (!condition) pending.push(`${type} not reported yet`);
      else if (condition.status === 'True') continue;
      else if (condition.status === 'False' && !PENDING_REASONS.has(condition.reason ?? '')) {
        problems.push(conditionText(condition, true));
      } else pending.push(conditionText(condition, true));
    }
    if (!mapping.reconciled) pending.push('Cloud Run has not processed the latest change yet');

    const observed = { value: observedText(mapping, byType), unit: 'mapping' };
    if (problems.length > 0) {
      return { ...base, status: 'fail', observed, samples: 1, reason: problems.join('; '), at };
    }
    if (pending.length > 0) {
      const records = mapping.resourceRecords.map(
        (r) => `${r.type} ${r.name ? `${r.name} ` : '@ '}${r.rrdata}`,
      );
      const dns = records.length > 0 ? `; DNS records it needs: ${records.join(', ')}` : '';
      return {
        ...base,
        status: 'inconclusive',
        observed,
        samples: 1,
        reason: `mapping pending: ${pending.join('; ')}${dns}`,
        at,
      };
    }
    return { ...base, status: 'pass', observed, samples: 1, at };
  }

  return { evaluate };
}

/** "svc, Ready=True, CertificateProvisioned=Unknown, DomainRoutable=True": the route and every condition. */
function observedText(mapping: DomainMapping, byType: Map<string, DomainMappingCondition>): string {
  const ordered = [
    ...REQUIRED.flatMap((t) => byType.get(t) ?? []),
    ...mapping.conditions.filter((c) => !(REQUIRED as readonly string[]).includes(c.type)),
  ];
  return [mapping.routeName || '(no route)', ...ordered.map((c) => conditionText(c, false))].join(', ');
}

/** "CertificateProvisioned=Unknown" or, with details, "CertificateProvisioned=Unknown (CertificatePending: ...)". */
function conditionText(condition: DomainMappingCondition, details: boolean): string {
  const head = `${condition.type}=${condition.status}`;
  if (!details) return head;
  const why = [condition.reason, condition.message].filter(Boolean).join(': ');
  return why ? `${head} (${why.length > 200 ? `${why.slice(0, 200)}...` : why})` : head;
}
