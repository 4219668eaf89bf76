import { stageAt } from './runbooks.ts';
import type { ShiftgateConfig } from './schema.ts';

// What is valid but will not work as meant in production: said by `shiftgate config validate` and logged
// at start-up, never refused (tests and the sandbox run seconds-long stages against the twins on purpose).

/** Cloud Monitoring aligns Cloud Run's request metrics per minute. */
const MONITORING_ALIGNMENT_MS = 60_000;

export function configWarnings(config: ShiftgateConfig): string[] {
  const warnings: string[] = [];
  for (const [name, runbook] of Object.entries(config.runbooks)) {
    if (runbook.kind !== 'canary') continue;
    const post = stageAt(runbook, runbook.stages.length);
    const stages = post ? [...runbook.stages, post] : runbook.stages;
    stages.forEach((stage, i) => {
      const monitored = stage.gates.filter((gate) => config.gates[gate]?.kind === 'cloud-monitoring');
      if (monitored.length === 0 || stage.interval >= MONITORING_ALIGNMENT_MS) return;
      const where = i < runbook.stages.length ? `stages[${i}] (${stage.name})` : 'postPromotion';
      warnings.push(
        `runbooks.${name}.${where}: interval ${stage.interval / 1000}s is shorter than Cloud Monitoring's one-minute alignment, so ${monitored.join(', ')} cannot measure every tick in production (use 1m or more; shorter suits the twins only)`,
      );
    });
  }
  return warnings;
}
