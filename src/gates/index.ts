// The gates: providers per kind behind one registry, the one-line rendering, and the stage judge.
export {
  DEFAULT_CONSECUTIVE_ERROR_LIMIT,
  DEFAULT_MAX_EXTENSIONS,
  type JudgeOptions,
  judgeStage,
  type StageJudgement,
  type StageTicks,
  type StageVerdict,
} from './judge.ts';
export { type BeforeValues, captureBefore, type PrometheusFactory } from './providers/prometheus.ts';
export { createGateRegistry, type GatePorts, type GateRegistry } from './registry.ts';
export { formatNumber, renderGate } from './render.ts';
export type {
  GateContext,
  GateOf,
  GatePlot,
  GateProvider,
  GateResult,
  GateStatus,
  Quantity,
} from './result.ts';
