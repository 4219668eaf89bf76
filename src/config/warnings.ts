import { stageAt } from './runbooks.ts';
import type { ShiftgateConfig } from './schema.ts';

// What is valid but will not work as meant in production: said by `shiftgate config validate` and logged
// at start-up, never refused (tests and the sandbox run seconds-long stages against the twins on purpose).

/** Cloud Monitoring aligns Cloud Run's request metrics per minute. */
const MONITORING_ALIGNMENT_MS = 60_000;

export function configWarnings(config: ShiftgateConfig): string[] {
  const warnings: string[] = [...modeWarnings(config)];
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

/**
 * A gate's mode (shadow, advisory) is a canary stage's: the stream cutover counts every failure against
 * its hard gates (seed 004), the flag canary rolls back on a trigger's first breach (seed 003), and the
 * validation matrix's verdict is its rows'. None of them runs the stage judge, so each enforces every gate
 * it names; said here, so nobody believes a shadow gate is watching quietly there.
 */
function modeWarnings(config: ShiftgateConfig): string[] {
  const warnings: string[] = [];
  const quiet = (gate: string) => {
    const mode = config.gates[gate]?.mode;
    return mode === 'shadow' || mode === 'advisory' ? mode : undefined;
  };
  const say = (where: string, names: readonly string[], what: string) => {
    for (const gate of names) {
      const mode = quiet(gate);
      if (mode)
        warnings.push(
          `${where}: gate ${gate} is ${mode}, but ${what} enforces every gate it names (modes apply to canary stages only)`,
        );
    }
  };
  for (const [name, runbook] of Object.entries(config.runbooks)) {
    if (runbook.kind === 'stream-cutover') {
      say(`runbooks.${name}`, [...runbook.smokes, ...runbook.route.verify], 'the stream cutover');
    } else if (runbook.kind === 'flag-canary') {
      const smoke = runbook.smoke && 'gate' in runbook.smoke ? [runbook.smoke.gate] : [];
      const named = [
        ...runbook.prerequisites.shadowRun,
        ...runbook.prerequisites.health,
        ...smoke,
        ...runbook.triggers,
      ];
      say(`runbooks.${name}`, named, 'the flag canary');
    }
  }
  for (const [env, environment] of Object.entries(config.environments)) {
    for (const [i, lane] of (environment.validation?.lanes ?? []).entries()) {
      if (lane.kind === 'gates')
        say(`environments.${env}.validation.lanes[${i}]`, lane.gates, 'the validation matrix');
    }
  }
  return warnings;
}
