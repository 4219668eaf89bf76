export { type FlagCanaryInput, flagCanaryStep, newFlagCanary } from './train.ts';
