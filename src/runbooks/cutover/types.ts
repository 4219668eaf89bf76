// The cutover train's state lives with every kind's in ../types.ts (the contract with the executor).
export type {
  CutoverHold,
  CutoverStep,
  CutoverStepName,
  CutoverStepStatus,
  ErrorBudgetReading,
  HardGate,
  StreamCutoverState,
} from '../types.ts';
