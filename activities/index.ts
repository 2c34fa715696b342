import type pg from 'pg';
import type { KeyObject } from 'node:crypto';
import type { TollgateConfig } from '../src/config.js';
import type { EnrichmentPipeline } from '../src/patterns/enrichers.js';
import { enrichmentFor } from '../src/patterns/enrichment.js';
import type { OperationRegistry } from '../src/operation/registry.js';
import type { ApprovalEventSink } from '../src/operation/events.js';
import { createApproverDirectory, type ApproverDirectory } from '../src/approval/directory.js';
import { parseDuration } from '../src/duration.js';
import type { PolicyInForce } from '../src/patterns/policyInForce.js';
import type { AuditEntryInput, AuditTrail } from '../src/audit/index.js';
import { createBudgetActivities, type BudgetDependencies } from './budget.js';
import { createPolicyActivities } from './policy.js';
import { createApprovalActivities } from './approval.js';
import { createOperationActivities } from '../src/operation/execute.js';
import { withRedactedFailures } from '../src/temporal/redactFailures.js';

export interface ActivityDependencies {
  config: TollgateConfig;
  /** The policy sets in force (hot-reloaded in place by the service). */
  policies: PolicyInForce;
  operations: OperationRegistry;
  approvals: ApprovalEventSink;
  /** The public half of the service's decision key: what proofs are verified with. */
  decisionPublicKey: KeyObject;
  /** The enrichers; default: the configured pipeline (src/service/enrich.ts) over this worker's ledger. */
  enrichment?: EnrichmentPipeline;
  /** Who may approve: config approvers plus Slack user-group members; defaults to config only. */
  directory?: ApproverDirectory;
  /** Standing grants live here; null for a worker without a database. */
  pool?: pg.Pool | null;
  /** The audit trail; null for a worker without a database (then only Temporal's history records the steps). */
  audit?: AuditTrail | null;
  /** The budget ledger; null for a worker without a database (operations with a cost then fail). */
  budget: BudgetDependencies | null;
}

/** Activities are thin adapters: each validates its input, calls into src/, and types its failures. */
export function createActivities(deps: ActivityDependencies) {
  const directory = deps.directory ?? createApproverDirectory(deps.config);
  const pool = deps.pool ?? undefined;
  const { policies } = deps;
  const enrichment = deps.enrichment ?? enrichmentFor(deps.config, {
    ledger: deps.budget?.ledger, readsBudget: () => policies.readsBudgetContext(), rolloutPercentage: () => policies.rolloutPercentage(),
  });
  const trusted = new Set([...deps.config.trusted, ...enrichment.computedKeys]);
  // Entries are keyed by operation and step, so a retried activity appends nothing twice.
  const record = async (entries: AuditEntryInput[]) => {
    if (deps.audit) await deps.audit.append(entries);
  };
  // Failures land in the workflow history verbatim: they go through the redaction policy first.
  return withRedactedFailures({
    ...createBudgetActivities(deps.budget, record),
    ...createPolicyActivities({ config: deps.config, policies, enrichment, trusted, directory, pool, record }),
    ...createApprovalActivities({
      policies,
      directory,
      approvals: deps.approvals,
      publicKey: deps.decisionPublicKey,
      proofWindowMs: parseDuration(deps.config.approvals.proofWindow),
      pool,
      // The approver's own `approval:decide` request goes through the same enrichers as any other.
      enrich: (request) => enrichment.enrich(request),
      record,
    }),
    ...createOperationActivities({ operations: deps.operations }),

    /** For the steps no other activity covers (failure, cancellation, refused signals): off the happy path. */
    async recordAudit(entries: AuditEntryInput[]): Promise<void> {
      await record(entries);
    },
  });
}

export type TollgateActivities = ReturnType<typeof createActivities>;
