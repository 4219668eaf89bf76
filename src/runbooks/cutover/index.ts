export { hardGateOf, judgeHardGates } from './hard-gates.ts';
export { type CutoverInput, cutoverStep, newCutover } from './train.ts';
export type * from './types.ts';
