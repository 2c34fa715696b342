import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { requestDigest, signDecision, verifyDecisionProof, type DecisionClaim } from '../../../src/approval/proof.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const input = { subject: { identifier: 'bob', roles: ['b', 'a'] }, action: 'data:export', resource: 'dataset://sales', operation: { name: 'export', args: { n: 1 } } };
const digest = requestDigest(input, 'v1');
const claim: DecisionClaim = { operationId: 'op-1', requestDigest: digest, approver: 'alice', channel: 'api', decision: 'approve', notes: 'ok' };
const check = { publicKey, windowMs: 300_000, now: 1_000_000 };

describe('decision proofs', () => {
  it('verify for the claim they were made for', () => {
    expect(verifyDecisionProof(claim, signDecision(privateKey, publicKey, claim, 1_000_000), check)).toMatchObject({ ok: true });
  });

  it('bind the request: its subject, action, resource, arguments and policy version; not key order or role order', () => {
    expect(requestDigest({ ...input, subject: { identifier: 'BOB', roles: ['a', 'b'] } }, 'v1')).toBe(digest);
    for (const changed of [{ ...input, resource: 'dataset://sales2' }, { ...input, action: 'data:read' }, { ...input, operation: { name: 'export', args: { n: 2 } } }, { ...input, subject: { identifier: 'eve' } }]) {
      expect(requestDigest(changed, 'v1')).not.toBe(digest);
    }
    expect(requestDigest(input, 'v2')).not.toBe(digest);
  });

  it('refuse, each with its reason: none, forged, another approver or decision, another operation or request, stale, future', () => {
    const proof = signDecision(privateKey, publicKey, claim, 1_000_000);
    const refusal = (c: DecisionClaim, p: typeof proof | undefined, now = 1_000_000) => {
      const verdict = verifyDecisionProof(c, p, { ...check, now });
      return verdict.ok ? 'ok' : verdict.refusal;
    };
    expect(refusal(claim, undefined)).toBe('missing');
    expect(refusal(claim, signDecision(other.privateKey, other.publicKey, claim, 1_000_000))).toBe('bad_signature');
    expect(refusal({ ...claim, approver: 'carol' }, proof)).toBe('bad_signature');
    expect(refusal({ ...claim, decision: 'reject' }, proof)).toBe('bad_signature');
    expect(refusal({ ...claim, notes: 'edited' }, proof)).toBe('bad_signature');
    expect(refusal({ ...claim, grant: { ttl: '1h' } }, proof)).toBe('bad_signature');
    expect(refusal({ ...claim, operationId: 'op-2' }, proof)).toBe('other_operation');
    expect(refusal({ ...claim, requestDigest: 'f'.repeat(64) }, proof)).toBe('other_request');
    expect(refusal(claim, { ...proof, operationId: 'op-2' })).toBe('bad_signature');
    expect(refusal(claim, proof, 1_000_000 + 300_001)).toBe('expired');
    expect(refusal(claim, proof, 1_000_000 - 31_000)).toBe('future');
    expect(refusal({ ...claim, approver: 'ALICE' }, proof)).toBe('ok');
  });
});
