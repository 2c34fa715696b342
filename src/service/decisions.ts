/**
 * The one place decisions are made into Updates: the Slack receiver and the decision API both
 * come here once they have authenticated a person. It checks what it can before it signs (so that
 * someone without authority gets a clear refusal and the workflow never sees the attempt), signs
 * the decision with the service's key, and sends the `decide` Update. The workflow checks again.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { approvalPlan, ApprovalMetadataError } from '../approval/plan.js';
import { approverMayDecide } from '../approval/authority.js';
import type { ApproverDirectory } from '../approval/directory.js';
import { grantTerms } from '../approval/grantTerms.js';
import { signDecision } from '../approval/proof.js';
import type { TollgateConfig } from '../config.js';
import type { ServiceKey } from '../keys.js';
import { decideUpdate, statusQuery } from '../operation/contract.js';
import type { DecideRequest, DecideResult, DecisionChannel, GrantRequest } from '../operation/schema.js';
import type { OperationStatusView } from '../operation/types.js';
import type { PolicyInForce } from '../patterns/policyInForce.js';

/** How a decision attempt ended, with the HTTP status the API answers with. */
export type DecisionOutcome =
  | { ok: true; status: 200; result: DecideResult }
  | { ok: false; status: 400 | 403 | 404 | 409; reason: string; result?: DecideResult };

export interface DecisionRequest {
  operationId: string;
  /** Who decided, as authenticated by the channel (token, JWT, signed Slack click). */
  identity: string;
  channel: DecisionChannel;
  decision: 'approve' | 'reject';
  notes?: string;
  grant?: GrantRequest;
  slackUserId?: string;
}

export interface DecisionServiceDependencies {
  temporal: Client;
  /** The service's decision key, private half included. */
  key: ServiceKey;
  directory: ApproverDirectory;
  /** Authority is checked against the set that decided the operation. */
  policies: PolicyInForce;
  config: Pick<TollgateConfig, 'approvals'>;
}

export interface DecisionService {
  decide(request: DecisionRequest): Promise<DecisionOutcome>;
  /** The operation's status view, or null when there is none. */
  describe(operationId: string): Promise<{ view: OperationStatusView; running: boolean } | null>;
}

export function createDecisionService(deps: DecisionServiceDependencies): DecisionService {
  const { privateKey, publicKey } = deps.key;
  if (!privateKey) throw new Error(`the decision key from ${deps.key.source} has no private half: a process that signs decisions needs TOLLGATE_DECISION_KEY or the key file`);

  async function describe(operationId: string) {
    const handle = deps.temporal.workflow.getHandle(operationId);
    try {
      const [view, description] = await Promise.all([handle.query(statusQuery), handle.describe()]);
      return { view, running: description.status.name === 'RUNNING' };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      throw error;
    }
  }

  return {
    describe,
    async decide(request) {
      const found = await describe(request.operationId);
      if (!found) return { ok: false, status: 404, reason: `no governed operation with id ${request.operationId}` };
      const { view } = found;
      if (view.status !== 'awaiting_approval' || !found.running || !view.decision || !view.requestDigest) {
        return { ok: false, status: 409, reason: `operation ${request.operationId} is not awaiting approval (status: ${view.status})` };
      }
      const approver = await deps.directory.byIdentifier(request.identity);
      const escalatedRoles = view.approval?.escalated ? view.approval.escalatedTo?.roles : undefined;
      const engine = deps.policies.forRole(view.policyRole);
      const authority = approverMayDecide({ identifier: request.identity, approver, request: view.input, engine, escalatedRoles });
      if (!authority.allowed) return { ok: false, status: 403, reason: authority.reason };
      if (request.grant) {
        let plan;
        try {
          plan = approvalPlan(view.decision.rule, view.decision.metadata, deps.config.approvals, engine.ruleNamed(view.decision.rule)?.resources);
        } catch (error) {
          if (error instanceof ApprovalMetadataError) return { ok: false, status: 400, reason: error.message };
          throw error;
        }
        const terms = grantTerms(request.grant, plan, view.decision.rule, view.input.resource);
        if (!terms.ok) return { ok: false, status: 400, reason: terms.reason };
        if (request.decision !== 'approve') return { ok: false, status: 400, reason: 'a grant goes with an approval, not a rejection' };
      }
      // The directory's identity, not the spelling the caller used: votes and quorums count people.
      const identifier = authority.approver.identifier;
      const decision: DecideRequest = {
        decision: request.decision,
        approver: { identifier, ...(request.slackUserId ? { slackUserId: request.slackUserId } : {}) },
        channel: request.channel,
        ...(request.notes ? { notes: request.notes } : {}),
        ...(request.grant ? { grant: request.grant } : {}),
      };
      decision.proof = signDecision(privateKey, publicKey, {
        operationId: request.operationId, requestDigest: view.requestDigest, approver: identifier, channel: decision.channel,
        decision: decision.decision, notes: decision.notes, grant: decision.grant,
      });
      try {
        const result = await deps.temporal.workflow.getHandle(request.operationId).executeUpdate(decideUpdate, { args: [decision] });
        if (result.counted) return { ok: true, status: 200, result };
        return { ok: false, status: result.refusal === 'decided' || result.refusal === 'duplicate' ? 409 : 403, reason: result.reason, result };
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError) return { ok: false, status: 409, reason: (error.cause as Error | undefined)?.message ?? error.message };
        if (error instanceof WorkflowNotFoundError) return { ok: false, status: 404, reason: `no governed operation with id ${request.operationId}` };
        throw error;
      }
    },
  };
}
