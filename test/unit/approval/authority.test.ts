import { describe, expect, it } from 'vitest';
import { approverMayDecide } from '../../../src/approval/authority.js';
import { PolicyEngine } from '../../../src/policy/engine.js';
import { parsePolicySet } from '../../../src/policy/schema.js';

const engine = new PolicyEngine(parsePolicySet({
  name: 'authority',
  rules: [
    { name: 'security_decides_pii', effect: 'allow', actions: ['approval:decide'], resources: ['dataset://pii/*'], subjects: ['role:security'] },
    { name: 'managers_decide_rest', effect: 'allow', actions: ['approval:decide'], subjects: ['role:manager'], constraints: [{ key: 'requested_action', notEquals: 'data:delete' }] },
  ],
}));
const approver = (identifier: string, roles: string[], slackUserId?: string) => ({ identifier, roles, attributes: {}, tags: {}, ...(slackUserId ? { slackUserId } : {}) });
const request = (resource: string, requester = 'bob', action = 'data:export') => ({ subject: { identifier: requester }, action, resource });

describe('approverMayDecide', () => {
  it('allows whom the policy allows approval:decide on the resource, with the requested action in context', () => {
    expect(approverMayDecide({ identifier: 'alice', approver: approver('alice', ['manager']), request: request('dataset://sales'), engine })).toMatchObject({ allowed: true });
    expect(approverMayDecide({ identifier: 'alice', approver: approver('alice', ['manager']), request: request('dataset://sales', 'bob', 'data:delete'), engine }))
      .toEqual({ allowed: false, reason: 'policy authority does not allow alice approval:decide on dataset://sales (default effect: deny)' });
    expect(approverMayDecide({ identifier: 'sam', approver: approver('sam', ['security']), request: request('dataset://pii/users'), engine })).toMatchObject({ allowed: true });
  });

  it('refuses the requester under any of their names: identifier, case, width, Slack id', () => {
    for (const [identifier, who] of [['bob', approver('bob', ['manager'])], ['BOB', approver('BOB', ['manager'])], ['ｂｏｂ', approver('ｂｏｂ', ['manager'])], ['frank', approver('frank', ['manager'], 'UBOB')]] as const) {
      const requester = identifier === 'frank' ? 'UBOB' : 'bob';
      expect(approverMayDecide({ identifier, approver: who, request: request('dataset://sales', requester), engine })).toEqual({ allowed: false, reason: `${identifier} requested this operation and may not approve it` });
    }
  });

  it('refuses someone outside the directory, and lets an escalation role decide', () => {
    expect(approverMayDecide({ identifier: 'mallory', approver: null, request: request('dataset://sales'), engine })).toEqual({ allowed: false, reason: 'mallory is not in the approvers directory' });
    expect(approverMayDecide({ identifier: 'dana', approver: approver('dana', ['director']), request: request('dataset://pii/x'), engine, escalatedRoles: ['director'] })).toMatchObject({ allowed: true });
    expect(approverMayDecide({ identifier: 'dana', approver: approver('dana', ['director']), request: request('dataset://pii/x'), engine })).toMatchObject({ allowed: false });
  });
});
