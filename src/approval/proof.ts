/**
 * Decision proofs. A Temporal Update carries no authenticated sender, so the service (the Slack
 * receiver, the decision API) signs each decision it has authenticated, and the worker verifies the
 * signature before the vote counts. The key is the service's alone (src/keys.ts): an agent holding
 * Temporal credentials can send an Update, but cannot make a proof that verifies.
 */
import { createHash, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../canonicalJson.js';
import type { DecideRequest, DecisionProof, GrantRequest, OperationInput } from '../operation/schema.js';
import { canonicalIdentity } from './identity.js';

/**
 * What a proof is bound to besides the vote itself: the request as the workflow evaluated it and
 * the policy version that decided it. A proof made for another operation, or for the same id
 * resubmitted with other arguments, does not verify for this one.
 */
export function requestDigest(input: Pick<OperationInput, 'subject' | 'action' | 'resource' | 'operation'>, policyVersion: string): string {
  const subject = { ...input.subject, identifier: canonicalIdentity(input.subject.identifier), roles: [...(input.subject.roles ?? [])].sort() };
  return createHash('sha256').update(canonicalJson({
    subject,
    action: input.action,
    resource: input.resource,
    operation: input.operation ? { name: input.operation.name, args: input.operation.args ?? null } : null,
    policyVersion,
  })).digest('hex');
}

/** Everything a signature covers. */
export interface DecisionClaim {
  operationId: string;
  requestDigest: string;
  approver: string;
  channel: DecideRequest['channel'];
  decision: DecideRequest['decision'];
  notes?: string;
  grant?: GrantRequest;
}

const signedText = (claim: DecisionClaim, proof: Pick<DecisionProof, 'v' | 'at' | 'nonce' | 'keyId'>): Buffer =>
  Buffer.from(canonicalJson({
    v: proof.v,
    operationId: claim.operationId,
    requestDigest: claim.requestDigest,
    approver: canonicalIdentity(claim.approver),
    channel: claim.channel,
    decision: claim.decision,
    notes: claim.notes ?? null,
    grant: claim.grant ?? null,
    at: proof.at,
    nonce: proof.nonce,
    keyId: proof.keyId,
  }), 'utf8');

/** A short, stable name for a public key, so a proof says which key made it. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('base64url').slice(0, 16);
}

export function signDecision(privateKey: KeyObject, publicKey: KeyObject, claim: DecisionClaim, now = Date.now()): DecisionProof {
  const header = { v: 1 as const, at: now, nonce: randomBytes(18).toString('base64url'), keyId: keyIdOf(publicKey) };
  const signature = sign(null, signedText(claim, header), privateKey).toString('base64url');
  return { ...header, operationId: claim.operationId, requestDigest: claim.requestDigest, signature };
}

export type ProofRefusal = 'missing' | 'bad_signature' | 'other_operation' | 'other_request' | 'expired' | 'future' | 'reused';

export type ProofVerdict = { ok: true; nonce: string } | { ok: false; refusal: ProofRefusal; reason: string };

export interface ProofCheck {
  publicKey: KeyObject;
  /** How old a proof may be when the worker checks it. */
  windowMs: number;
  now: number;
  /** Clock skew tolerated between the signing service and the verifying worker. */
  skewMs?: number;
}

/**
 * Check a proof against the decision it came with and the operation it is for. Nonce reuse is
 * checked by the caller against the store (checkNonce), after this says the proof is genuine.
 */
export function verifyDecisionProof(claim: DecisionClaim, proof: DecisionProof | undefined, check: ProofCheck): ProofVerdict {
  if (!proof) return { ok: false, refusal: 'missing', reason: 'the decision carries no proof from the Tollgate service: decide through Slack or the decision API (tollgate approvals approve), never by sending an Update yourself' };
  const genuine = (() => {
    try {
      return verify(null, signedText({ ...claim, operationId: proof.operationId, requestDigest: proof.requestDigest }, proof), check.publicKey, Buffer.from(proof.signature, 'base64url'));
    } catch {
      return false;
    }
  })();
  if (!genuine) return { ok: false, refusal: 'bad_signature', reason: `the decision proof does not verify with the service's key (key ${keyIdOf(check.publicKey)}): it was forged, altered, or made for another approver, decision or note` };
  if (proof.operationId !== claim.operationId) return { ok: false, refusal: 'other_operation', reason: `the decision proof was made for operation ${proof.operationId}, not ${claim.operationId}` };
  if (proof.requestDigest !== claim.requestDigest) return { ok: false, refusal: 'other_request', reason: 'the decision proof was made for another request (its subject, action, resource, arguments or policy version differ from this operation\'s)' };
  const age = check.now - proof.at;
  if (age > check.windowMs) return { ok: false, refusal: 'expired', reason: `the decision proof is ${Math.round(age / 1000)}s old, older than its ${Math.round(check.windowMs / 1000)}s window: decide again` };
  if (-age > (check.skewMs ?? 30_000)) return { ok: false, refusal: 'future', reason: 'the decision proof is dated in the future: check the clocks of the service and the worker' };
  return { ok: true, nonce: proof.nonce };
}
