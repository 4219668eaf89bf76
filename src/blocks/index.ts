// Pure functions from engine state to Block Kit: what the bot posts, each within Slack's limits.
export { ACTIONS, decodeValue, encodeValue } from './actions.ts';
export { type ApprovalDetails, type ApprovalOutcome, approvalDecided, approvalRequest } from './approval.ts';
export { kindCard } from './cards.ts';
export { cutoverApproval, cutoverStepMessage, cutoverWords } from './cutover.ts';
export { flagApproval, flagStepMessage, flagWords } from './flag.ts';
export { type GatePhase, type GateResultsInput, gateResultsMessage } from './gate-results.ts';
export { type Command, help, usage } from './help.ts';
export { appHome, type HomeInput } from './home.ts';
export { blockKitProblems, LIMITS } from './limits.ts';
export { type LockRefusalInput, lockRefusal, locksList } from './lock.ts';
export { escapeText, type SlackMessage, truncate } from './message.ts';
export { type IncidentCardInput, incidentCard, rollingBackMessage } from './rollback.ts';
export { rollbackRequestCard } from './rollback-request.ts';
export { type RolloutCardOptions, rolloutCard } from './rollout-card.ts';
export { overrideLine, routeConflictText, routeRequestCard, routeStatusMessage } from './route.ts';
export { rolloutList, rolloutStatus, servingStatus } from './status.ts';
export type { Clock } from './time.ts';
export { validationCard, validationFilesComment, validationFilesFailed } from './validation.ts';
