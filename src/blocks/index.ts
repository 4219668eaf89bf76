// Pure functions from engine state to Block Kit: what the bot posts, each within Slack's limits.
export { ACTIONS, decodeValue, encodeValue } from './actions.ts';
export { type ApprovalOutcome, approvalDecided, approvalRequest } from './approval.ts';
export { gateResultsMessage } from './gate-results.ts';
export { help, usage } from './help.ts';
export { appHome, type HomeInput } from './home.ts';
export { blockKitProblems } from './limits.ts';
export { lockRefusal, locksList } from './lock.ts';
export type { SlackMessage } from './message.ts';
export { incidentCard, rollingBackMessage } from './rollback.ts';
export { rollbackRequestCard } from './rollback-request.ts';
export { rolloutCard } from './rollout-card.ts';
export { rolloutList, rolloutStatus } from './status.ts';
