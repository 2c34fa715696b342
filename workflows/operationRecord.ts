import { ApplicationFailure, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { FailureType } from '../src/operation/contract.js';
import type { OperationInput } from '../src/operation/schema.js';
import type { OperationStatus, OperationStatusView } from '../src/operation/types.js';
import { operationDetails } from '../src/operation/describe.js';
import { operationRefOf, type OperationRef } from '../src/audit/entries.js';
import { createRedactor, type Redactor } from '../src/redact.js';
import { TollgateApprovalRequestedAt, TollgateRule, TollgateStatus } from '../src/temporal/searchAttributes.js';
import type { Evaluation } from './activities.js';

export type Ending = 'denied' | 'rejected' | 'expired' | 'cancelled' | 'failed';
const ENDINGS: readonly OperationStatus[] = ['denied', 'rejected', 'expired', 'cancelled', 'failed'];

/**
 * What an operation shows of itself: the status view the query returns, its search attributes and
 * its details in the Temporal UI, kept in step, and always redacted: secrets never leave the input.
 */
export class OperationRecord {
  readonly view: OperationStatusView;
  /** What its audit entries repeat. */
  readonly audit: OperationRef;
  /** The worker's redaction settings arrive with the evaluation; until then the built-in ones apply. */
  redactor: Redactor = createRedactor();

  constructor(readonly id: string, readonly input: OperationInput) {
    this.view = { id, status: 'evaluating', input: this.redactor.redact(input) };
    this.audit = operationRefOf(id, input);
  }

  status(status: OperationStatus): void {
    this.view.status = status;
    upsertSearchAttributes([{ key: TollgateStatus, value: status }]);
    this.refresh();
  }

  refresh(): void {
    setCurrentDetails(operationDetails(this.view));
  }

  get ended(): boolean {
    return ENDINGS.includes(this.view.status);
  }

  evaluated(evaluation: Evaluation): void {
    this.redactor = createRedactor(evaluation.redaction);
    Object.assign(this.view, {
      input: this.redactor.redact(this.input),
      decision: evaluation.decision,
      requestDigest: evaluation.requestDigest,
      policyRole: evaluation.policyRole,
    });
    this.audit.rule = evaluation.decision.rule;
    upsertSearchAttributes([{ key: TollgateRule, value: evaluation.decision.rule ?? '(default)' }]);
  }

  awaitingApproval(requestedAt: string): void {
    upsertSearchAttributes([{ key: TollgateApprovalRequestedAt, value: new Date(requestedAt) }]);
    this.status('awaiting_approval');
  }

  /** End with a typed, non-retryable failure the client turns into its error; the text redacted. */
  fail(status: Ending, type: FailureType, message: string, details?: unknown): ApplicationFailure {
    this.view.error = this.redactor.redactString(message);
    this.status(status);
    return ApplicationFailure.create({ type, message: this.view.error, nonRetryable: true, details: details === undefined ? [] : [this.redactor.redact(details)] });
  }
}
