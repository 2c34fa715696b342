import { randomUUID } from 'node:crypto';
import {
  ActivityFailure, ApplicationFailure, CancelledFailure, Client, Connection, WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError, WorkflowNotFoundError, type WorkflowHandle,
} from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { TollgateConfig } from '../config.js';
import { InfrastructureUnavailableError, TollgateInputError } from '../errors.js';
import { OperationInputSchema, type DecideResult, type OperationInput } from '../operation/schema.js';
import { decideOperation, type DecideOptions } from './decide.js';
import type { OperationResult, OperationStatus, OperationStatusView } from '../operation/types.js';
import { operationSummary } from '../operation/describe.js';
import type { PolicyRequest } from '../policy/types.js';
import { TollgateAction, TollgateApprovalRequestedAt, TollgateRequester, TollgateResource, TollgateRule, TollgateStatus } from '../temporal/searchAttributes.js';
import { FailureType, WORKFLOW_TYPE, statusQuery } from '../operation/contract.js';
import { configureRedaction, redact, redactString } from '../redact.js';
import { temporalConnectionOptions } from './connection.js';
import { openStore, type Store } from '../store/index.js';
import { BudgetLedger, type BudgetChange, type BudgetLevel, type BudgetLevelStatus } from '../budget/index.js';
import { openAuditTrail, type AuditTrail } from '../audit/index.js';
import { OperationDeniedError, OperationExpiredError, OperationNotFoundError, OperationOutcomeError, OperationRejectedError } from './errors.js';

export interface OperationHandle {
  id: string;
  /** Resolves with the result when the operation completes; rejects with an OperationOutcomeError otherwise. */
  result(): Promise<OperationResult>;
  status(): Promise<OperationStatusView>;
}

export interface PendingApproval {
  id: string;
  requester: string;
  action: string;
  resource: string;
  rule: string | null;
  requestedAt: Date | null;
  waitingMs: number | null;
}


/** What a graph node, an agent tool, the CLI and the Slack receiver call. */
export class GovernanceClient {
  readonly temporal: Client;
  private constructor(readonly config: TollgateConfig, private readonly connection: Connection, store?: Store, private audit?: AuditTrail) {
    this.temporal = new Client({ connection, namespace: config.temporal.namespace });
    if (store) {
      this.store = Promise.resolve(store);
      this.ownsStore = false;
    }
  }

  /**
   * `store` shares an open database (the service's) for budget calls instead of opening one, and
   * `audit` the process's audit trail for the changes they record.
   */
  static async connect(config: TollgateConfig, options: { store?: Store; audit?: AuditTrail } = {}): Promise<GovernanceClient> {
    // What the client puts in search attributes and summaries is redacted by the configured policy.
    configureRedaction(config.redaction);
    const connectionOptions = temporalConnectionOptions(config);
    try {
      return new GovernanceClient(config, await Connection.connect({ ...connectionOptions, connectTimeout: '5s' }), options.store, options.audit);
    } catch (error) {
      throw new InfrastructureUnavailableError(`cannot reach Temporal at ${connectionOptions.address}: ${(error as Error).message.split('\n')[0]} (start it with \`tollgate start\`, or set temporal.address)`, { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.connection.close();
    if (this.ownsStore) await (await this.store)?.close();
  }

  private store?: Promise<Store>;
  private ownsStore = true;
  /** The budget ledger, through the configured database (opened on first use); people's changes are audited. */
  private async ledger(): Promise<BudgetLedger> {
    this.store ??= openStore(this.config, { serveEmbedded: false });
    const { pool } = await this.store;
    this.audit ??= openAuditTrail(pool, this.config).trail;
    return new BudgetLedger(pool, this.config.budgets, { audit: this.audit });
  }

  /** Correct what an operation cost after the fact (a pure gate committed its estimate). Idempotent; audited as `change.actor`. */
  async adjustCost(id: string, actualCost: number, change: BudgetChange): Promise<void> {
    if (!Number.isFinite(actualCost) || actualCost < 0) throw new TollgateInputError(`actual cost must be a non-negative number, got ${actualCost}`, 'actualCost');
    await (await this.ledger()).adjust(id, actualCost, change);
  }

  /** Override a configured limit at run time (null: unlimited); `clearBudgetLimit` goes back to config. Audited. */
  async setBudgetLimit(level: BudgetLevel, entity: string, amount: number | null, change: BudgetChange): Promise<void> {
    await (await this.ledger()).setLimit(level, entity, amount, change);
  }

  async clearBudgetLimit(level: BudgetLevel, entity: string, change: BudgetChange): Promise<boolean> {
    return (await this.ledger()).clearLimit(level, entity, change);
  }

  /**
   * Release reservations whose workflow closed without compensating (it was terminated, which
   * runs no workflow code). The service runs this periodically.
   */
  async releaseStaleReservations(olderThanMs = 15 * 60_000) {
    return (await this.ledger()).releaseStale(async (id) => {
      try {
        return (await this.temporal.workflow.getHandle(id).describe()).status.name !== 'RUNNING';
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return true;
        throw error;
      }
    }, olderThanMs);
  }

  /** Limit, spent, reserved and remaining per level for a user and/or team (and the org). */
  async budgetStatus(filter: { user?: string; team?: string } = {}): Promise<BudgetLevelStatus[]> {
    return (await this.ledger()).status(filter);
  }

  /** Start a governed operation; the same id again returns the existing run. */
  async submit(raw: OperationInput): Promise<OperationHandle> {
    const parsed = OperationInputSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TollgateInputError(`operation ${issue.path.join('.') || 'input'}: ${issue.message}`, issue.path.join('.'));
    }
    const input = parsed.data;
    const id = input.id ?? `op-${randomUUID()}`;
    const { workflow } = this.temporal;
    try {
      await workflow.start(WORKFLOW_TYPE, {
        workflowId: id,
        taskQueue: this.config.temporal.taskQueue,
        // The workflow's input is kept in Temporal's history: secrets a caller put in the context or
        // the resource (a token in a URL) are redacted here, before they reach it. Arguments go to
        // the handler as given.
        args: [{ ...input, id, resource: redactString(input.resource), ...(input.context ? { context: redact(input.context) } : {}) }],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: new TypedSearchAttributes([
          { key: TollgateStatus, value: 'evaluating' },
          { key: TollgateAction, value: input.action },
          // Search attributes and the summary are not encrypted: never a secret in them.
          { key: TollgateResource, value: redactString(input.resource) },
          { key: TollgateRequester, value: input.subject.identifier },
        ]),
        staticSummary: operationSummary({ ...input, resource: redactString(input.resource) }),
      });
    } catch (error) {
      // A closed run with this id exists: idempotent submit hands back that run.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    return this.handle(id);
  }

  /** A pure gate: no operation runs; resolves when allowed (after approval if required). */
  async authorize(request: PolicyRequest & { id?: string; estimatedCost?: number }): Promise<OperationResult> {
    return (await this.submit(request)).result();
  }

  handle(id: string): OperationHandle {
    const workflow = this.temporal.workflow.getHandle(id);
    return { id, result: () => this.resultOf(id, workflow), status: () => this.status(id) };
  }

  async status(id: string): Promise<OperationStatusView> {
    const workflow = this.temporal.workflow.getHandle(id);
    try {
      return await workflow.query(statusQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new OperationNotFoundError(id);
      // Queries on closed workflows need a worker to replay; fall back to what visibility knows.
      const description = await workflow.describe().catch((e) => {
        throw e instanceof WorkflowNotFoundError ? new OperationNotFoundError(id) : e;
      });
      const status = (description.typedSearchAttributes.get(TollgateStatus) ?? 'evaluating') as OperationStatus;
      return { id, status, input: { subject: { identifier: description.typedSearchAttributes.get(TollgateRequester) ?? '?' }, action: description.typedSearchAttributes.get(TollgateAction) ?? '?', resource: description.typedSearchAttributes.get(TollgateResource) ?? '?' } };
    }
  }

  /** Operations waiting for approval, oldest first; `stuckForMs` keeps only those waiting longer. */
  async listApprovals(options: { stuckForMs?: number } = {}): Promise<PendingApproval[]> {
    const clauses = [`WorkflowType = "${WORKFLOW_TYPE}"`, 'ExecutionStatus = "Running"', 'TollgateStatus = "awaiting_approval"'];
    if (options.stuckForMs !== undefined) clauses.push(`TollgateApprovalRequestedAt < "${new Date(Date.now() - options.stuckForMs).toISOString()}"`);
    const pending: PendingApproval[] = [];
    for await (const execution of this.temporal.workflow.list({ query: clauses.join(' AND ') })) {
      const attributes = execution.typedSearchAttributes;
      const requestedAt = attributes.get(TollgateApprovalRequestedAt) ?? null;
      pending.push({
        id: execution.workflowId,
        requester: attributes.get(TollgateRequester) ?? '?',
        action: attributes.get(TollgateAction) ?? '?',
        resource: attributes.get(TollgateResource) ?? '?',
        rule: attributes.get(TollgateRule) ?? null,
        requestedAt,
        waitingMs: requestedAt ? Date.now() - requestedAt.getTime() : null,
      });
    }
    return pending.sort((a, b) => (a.requestedAt?.getTime() ?? 0) - (b.requestedAt?.getTime() ?? 0));
  }

  /**
   * Decide an operation waiting for approval, through the service's decision API: the service
   * authenticates the token, signs the decision and sends it to the workflow, and answers whether
   * the vote counted. There is no way to decide with Temporal credentials alone.
   */
  decide(id: string, decision: 'approve' | 'reject', options: DecideOptions): Promise<DecideResult> {
    return decideOperation(this.config, id, decision, options);
  }

  private async resultOf(id: string, workflow: WorkflowHandle): Promise<OperationResult> {
    try {
      return await workflow.result();
    } catch (error) {
      throw outcomeError(id, error);
    }
  }
}

/** Turn a workflow failure into the typed error a caller can branch on. */
function outcomeError(id: string, error: unknown): Error {
  if (error instanceof WorkflowNotFoundError) return new OperationNotFoundError(id);
  if (!(error instanceof WorkflowFailedError)) return error as Error;
  const cause = error.cause;
  if (cause instanceof CancelledFailure) return new OperationOutcomeError(id, 'cancelled', `operation ${id} was cancelled`);
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as never;
    switch (cause.type) {
      case FailureType.PolicyViolation:
      case FailureType.BudgetExceeded:
        return new OperationDeniedError(id, cause.message, cause.type === FailureType.PolicyViolation ? details : undefined, cause.type);
      case FailureType.ApprovalRejected: return new OperationRejectedError(id, cause.message, details);
      case FailureType.ApprovalExpired: return new OperationExpiredError(id, cause.message, details);
      default: return new OperationOutcomeError(id, 'failed', cause.message, details);
    }
  }
  if (cause instanceof ActivityFailure) return new OperationOutcomeError(id, 'failed', cause.cause?.message ?? cause.message);
  return new OperationOutcomeError(id, 'failed', error.message);
}
