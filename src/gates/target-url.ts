import type { GateContext } from './result.ts';

// Where a probe goes, by the gate's `target`: the canary tag URL, the public URL, or the Cloud Run
// service's own run.app URL. Seed 001 runs its smokes on the run.app URL while the domain mapping is
// pending; a runbook says so explicitly with `target: service`, nothing switches on its own.

export type ProbeTarget = 'canary' | 'public' | 'service';

/** The base URL, or why there is none. */
export function targetBase(target: ProbeTarget, ctx: GateContext): { url: string } | { missing: string } {
  switch (target) {
    case 'canary':
      return ctx.canaryUrl
        ? { url: ctx.canaryUrl }
        : { missing: 'the rollout has no canary tag URL yet, so the canary cannot be probed' };
    case 'public':
      return ctx.publicUrl ? { url: ctx.publicUrl } : { missing: 'no public URL for this service' };
    case 'service':
      return ctx.serviceUrl
        ? { url: ctx.serviceUrl }
        : { missing: "the service's run.app URL is not known (Cloud Run did not report one)" };
  }
}
