// The canary runbook (seed 000, "Canary Stage Plan"), as a pure state machine: (state, event) -> (state,
// effects). It never does I/O; the executor performs the effects and feeds their outcomes back as events.
// Read it in this order:
//
//   step.ts          the record before it starts, and which file takes each event
//   procedure.ts     stage A (deploy with no traffic, capture the baseline, smoke), then every stage:
//                    approval, shift, checks, watch window ticks, judge, pass or promote; a failing gate
//                    starts the rollback
//   rolling-back.ts  the Deterministic Rollback Procedure (../rollback.ts) run inside the canary
//   people.ts        pause, resume, abort, promote now, a person's rollback
//   attention.ts     effect failures and retries, and what resume does for each cause of needs-attention
//   shared.ts        state lookups, timer keys, notify, stopping to ask people
//
// What holds a rollout (a pause, or an attention) is one field, `hold` (types.ts).

export { canaryStep, newCanary } from './step.ts';
