import { ApplicationFailure, Context } from '@temporalio/activity';
import type pg from 'pg';
import type { TollgateConfig } from '../src/config.js';
import { FailureType } from '../src/operation/contract.js';
import { OperationInputSchema } from '../src/operation/schema.js';
import type { StandingGrantUse } from '../src/operation/types.js';
import { policyRequestFor, type EnrichmentPipeline } from '../src/patterns/enrichers.js';
import { approvalPlan, ApprovalMetadataError, type ApprovalPlan } from '../src/approval/plan.js';
import { approverMayDecide } from '../src/approval/authority.js';
import type { ApproverDirectory } from '../src/approval/directory.js';
import { grantUseOf, useGrant } from '../src/approval/grants.js';
import { requestDigest } from '../src/approval/proof.js';
import type { PolicyInForce, PolicyRole } from '../src/patterns/policyInForce.js';
import type { PolicyEngine } from '../src/policy/engine.js';
import type { PolicyDecision, PolicyRequest } from '../src/policy/types.js';
import { approvalDecisionEntry, operationRefOf, policyDecisionEntry, policyShadowDivergenceEntry, type AuditEntryInput } from '../src/audit/index.js';

export interface PolicyActivityDependencies {
  config: TollgateConfig;
  /** The sets in force: the enforced one, or a rollout's two, and a shadow set. */
  policies: PolicyInForce;
  /** The enrichers: facts for the policy (tenancy, detectors, budgets, ...); they win over claims. */
  enrichment: EnrichmentPipeline;
  /** Keys a caller may not set (config `trusted`, plus everything the enrichers compute). */
  trusted: ReadonlySet<string>;
  directory: ApproverDirectory;
  /** Standing grants; absent without a database. */
  pool?: pg.Pool;
  record(entries: AuditEntryInput[]): Promise<void>;
}

export interface Evaluation {
  request: PolicyRequest;
  decision: PolicyDecision;
  /** What decision proofs for this operation are bound to. */
  requestDigest: string;
  /** Which set decided: enforced, or the rollout's strict or permissive set. */
  policyRole: Exclude<PolicyRole, 'shadow'>;
  plan?: ApprovalPlan;
  /** A live standing grant approved this request: no wait. */
  grant?: StandingGrantUse;
  /** The worker's redaction settings, so the workflow redacts its view and errors by the same policy. */
  redaction: TollgateConfig['redaction'];
}

function planFor(decision: PolicyDecision, defaults: TollgateConfig['approvals'], engine: PolicyEngine): ApprovalPlan {
  try {
    return approvalPlan(decision.rule, decision.metadata, defaults, engine.ruleNamed(decision.rule)?.resources);
  } catch (error) {
    if (error instanceof ApprovalMetadataError) throw ApplicationFailure.nonRetryable(error.message, FailureType.InvalidPolicyMetadata);
    throw error;
  }
}

export function createPolicyActivities(deps: PolicyActivityDependencies) {

  async function coveringGrant(id: string, request: PolicyRequest, decision: PolicyDecision, engine: PolicyEngine): Promise<StandingGrantUse | undefined> {
    if (!deps.pool || !decision.rule) return undefined;
    const grant = await useGrant(deps.pool, {
      requester: request.subject.identifier, action: request.action, resource: request.resource, rule: decision.rule, operationId: id,
      // A grant never reaches past what its approver may decide today.
      stillAuthorised: async (candidate) => approverMayDecide({
        identifier: candidate.grantedBy, approver: await deps.directory.byIdentifier(candidate.grantedBy), request, engine,
      }).allowed,
    });
    return grant ? grantUseOf(grant) : undefined;
  }

  return {
    async evaluatePolicy(raw: unknown): Promise<Evaluation> {
      const parsed = OperationInputSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw ApplicationFailure.nonRetryable(`invalid operation: ${issue.path.join('.') || 'input'}: ${issue.message}`, FailureType.InvalidOperation);
      }
      const input = parsed.data;
      // The workflow passes its own id, so a raw start without one is keyed correctly too.
      const id = input.id ?? Context.current().info.workflowExecution?.workflowId ?? 'unknown';
      const computed = await deps.enrichment.enrich({ ...input, id });
      const { request, dropped } = policyRequestFor(input, computed, deps.trusted);
      const { role, engine } = deps.policies.choose(id);
      const decision = engine.evaluate(request);
      const evaluation: Evaluation = { request, decision, requestDigest: requestDigest(input, decision.policyVersion), policyRole: role, redaction: deps.config.redaction };
      const entries = [policyDecisionEntry(id, request, decision, undefined, { droppedClaims: dropped, policyRole: role })];
      const divergence = deps.policies.shadowDivergence(request, decision);
      if (divergence) entries.push(policyShadowDivergenceEntry(operationRefOf(id, request, decision.rule), divergence));
      if (decision.effect === 'require_approval') {
        const plan = planFor(decision, deps.config.approvals, engine);
        evaluation.plan = plan;
        if (plan.grantable) evaluation.grant = await coveringGrant(id, request, decision, engine);
        if (evaluation.grant) {
          const { grantId, grantedBy, grantedAt } = evaluation.grant;
          entries.push(approvalDecisionEntry(operationRefOf(id, request, decision.rule), 'approved', {
            decidedBy: grantedBy, notes: `approved by grant ${grantId} (granted by ${grantedBy} at ${grantedAt})`,
          }));
        }
      }
      await deps.record(entries);
      return evaluation;
    },
  };
}
