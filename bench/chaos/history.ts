import type { createCloudRunTwin, ServiceKey } from '../../sandbox/twins/cloud-run/index.ts';

// What Cloud Run served, per service, over the run: every change of the served split (trafficStatuses),
// and every update that created a revision (a deploy). The twin changes what it serves when an update's
// operation is done, so after each Cloud Run request the services with an update in flight are looked at.

export interface ServedChange {
  at: number;
  split: Record<string, number>;
}

export class TrafficHistory {
  readonly served = new Map<string, ServedChange[]>();
  readonly deploys = new Map<string, { at: number; revision: string }[]>();
  private readonly last = new Map<string, string>();
  private readonly revisions = new Map<string, number>();
  private readonly inFlight = new Set<string>();

  private readonly cloudRun: ReturnType<typeof createCloudRunTwin>;
  private readonly keys: ServiceKey[];

  constructor(cloudRun: ReturnType<typeof createCloudRunTwin>, keys: ServiceKey[]) {
    this.cloudRun = cloudRun;
    this.keys = keys;
    for (const key of keys) {
      const view = cloudRun.service(key);
      this.last.set(key.service, JSON.stringify(view.split));
      this.revisions.set(key.service, view.revisions.length);
      this.served.set(key.service, []);
      this.deploys.set(key.service, []);
    }
  }

  observe(method: string, path: string): void {
    const patched = method === 'PATCH' ? /\/services\/([^/]+)$/.exec(path)?.[1] : undefined;
    if (patched) this.inFlight.add(patched);
    if (this.inFlight.size === 0) return;
    for (const service of [...this.inFlight]) {
      const key = this.keys.find((k) => k.service === service);
      if (!key) {
        this.inFlight.delete(service);
        continue;
      }
      const view = this.cloudRun.service(key);
      const at = Date.now();
      if (view.revisions.length > (this.revisions.get(service) ?? 0)) {
        for (const r of view.revisions.slice(this.revisions.get(service) ?? 0)) {
          this.deploys.get(service)?.push({ at, revision: r.name });
        }
        this.revisions.set(service, view.revisions.length);
      }
      const split = JSON.stringify(view.split);
      if (split !== this.last.get(service)) {
        this.last.set(service, split);
        this.served.get(service)?.push({ at, split: view.split });
      }
      if (!view.reconciling) this.inFlight.delete(service);
    }
  }
}
