export { hardGateOf, judgeHardGates } from './hard-gates.ts';
export { type CutoverInput, cutoverStep, newCutover, overrideTarget } from './train.ts';
export type * from './types.ts';
