/**
 * The worker's check of one decision before it counts: the service's proof first (is this decision
 * what the Tollgate service authenticated, for this very request, once?), then authority (may the
 * person it names decide this request now?). Both are asked again here, inside the operation,
 * because anyone who can reach the Temporal namespace can send the Update.
 */
import type { KeyObject } from 'node:crypto';
import type { DecideRequest } from '../operation/schema.js';
import type { PolicyEngine } from '../policy/engine.js';
import type { PolicyRequest } from '../policy/types.js';
import { APPROVAL_ACTION, approverMayDecide, approverSubject } from './authority.js';
import type { ApproverDirectory, DirectoryApprover } from './directory.js';
import { verifyDecisionProof, type ProofRefusal } from './proof.js';

export interface VoteCheckDependencies {
  /** The service's decision key (public half): only the service can have signed. */
  publicKey: KeyObject;
  proofWindowMs: number;
  directory: ApproverDirectory;
  engine: PolicyEngine;
  /** Context the enrichers compute for the approver's own `approval:decide` request. */
  enrich?: (request: PolicyRequest) => Promise<Record<string, unknown>>;
  now?: () => number;
}

export interface VoteToCheck {
  operationId: string;
  /** The request as the operation evaluated it, and the digest proofs must be bound to. */
  request: PolicyRequest;
  requestDigest: string;
  decision: DecideRequest;
  /**
   * Nonces of the proofs this operation has already seen. A proof is bound to one operation, so
   * the operation's own memory is enough to make each proof count once.
   */
  usedNonces: readonly string[];
  escalatedRoles?: readonly string[];
}

export type VoteVerdict =
  | { allowed: true; approver: DirectoryApprover; nonce: string }
  | { allowed: false; refusal: ProofRefusal | 'authority'; reason: string; nonce?: string };

export async function checkVote(deps: VoteCheckDependencies, vote: VoteToCheck): Promise<VoteVerdict> {
  const { decision } = vote;
  const proof = verifyDecisionProof({
    operationId: vote.operationId,
    requestDigest: vote.requestDigest,
    approver: decision.approver.identifier,
    channel: decision.channel,
    decision: decision.decision,
    notes: decision.notes,
    grant: decision.grant,
  }, decision.proof, { publicKey: deps.publicKey, windowMs: deps.proofWindowMs, now: (deps.now ?? Date.now)() });
  if (!proof.ok) return { allowed: false, refusal: proof.refusal, reason: proof.reason };
  if (vote.usedNonces.includes(proof.nonce)) return { allowed: false, refusal: 'reused', reason: 'the decision proof was already used: each proof counts once' };

  const approver = await deps.directory.byIdentifier(decision.approver.identifier);
  const context = approver && deps.enrich
    ? await deps.enrich({ subject: approverSubject(approver), action: APPROVAL_ACTION, resource: vote.request.resource })
    : undefined;
  const verdict = approverMayDecide({ identifier: decision.approver.identifier, approver, request: vote.request, engine: deps.engine, escalatedRoles: vote.escalatedRoles, context });
  if (!verdict.allowed) return { allowed: false, refusal: 'authority', reason: verdict.reason, nonce: proof.nonce };
  return { ...verdict, nonce: proof.nonce };
}
