import { describe, expect, it } from 'vitest';
import { approvalPurpose } from '../../src/platform/slack/approval-purposes.ts';
import { Canary, REQUESTER } from '../blocks/fixtures.ts';

describe('approval request purposes', () => {
  it('names request r of stage s, so a request asked again after expiry is a new message', () => {
    const c = new Canary().deploy();
    const stage = c.state.stage;
    expect(approvalPurpose(c.state, stage)).toBe(`approval:${stage}:1`);
    c.min += 7 * 24 * 60; // past any expiry
    c.send({ type: 'approval-expired', stage });
    c.send({ type: 'resume', by: REQUESTER });
    expect(approvalPurpose(c.state, stage)).toBe(`approval:${stage}:2`);
  });
});
