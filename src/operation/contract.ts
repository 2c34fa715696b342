/**
 * The contract between a governed operation's workflow and everyone who talks to it: the client,
 * the service, the Slack receiver and the MCP gateway. Both sides import these constants, so a
 * name can never drift between sender and receiver.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DecideRequest, DecideResult } from './schema.js';
import type { OperationStatusView } from './types.js';

export const WORKFLOW_TYPE = 'governedOperation';

/** A vote, with the service's proof; answers whether it counted. The only way to decide. */
export const decideUpdate = defineUpdate<DecideResult, [DecideRequest]>('decide');

/** Where the operation stands; redacted, so it is safe to show to whoever may query. */
export const statusQuery = defineQuery<OperationStatusView>('status');

/**
 * The signal that decided operations before decisions needed a proof. A workflow still listens,
 * so that an old client's vote is recorded as refused instead of vanishing without a trace.
 */
export const legacyDecisionSignal = defineSignal<[unknown]>('approvalDecision');

/** ApplicationFailure types the workflow ends with; the client maps each to a typed error. */
export const FailureType = {
  PolicyViolation: 'PolicyViolation',
  BudgetExceeded: 'BudgetExceeded',
  ApprovalRejected: 'ApprovalRejected',
  ApprovalExpired: 'ApprovalExpired',
  OperationFailed: 'OperationFailed',
  InvalidOperation: 'InvalidOperation',
  InvalidPolicyMetadata: 'InvalidPolicyMetadata',
  UnknownOperation: 'UnknownOperation',
  BudgetUnavailable: 'BudgetUnavailable',
  BudgetReservationState: 'BudgetReservationState',
  InvalidBudgetAmount: 'InvalidBudgetAmount',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Failures that are outcomes a caller expects (a denial), not faults: logged as one info line. */
export const EXPECTED_FAILURE_TYPES: readonly string[] = [
  FailureType.PolicyViolation, FailureType.BudgetExceeded, FailureType.ApprovalRejected, FailureType.ApprovalExpired,
];

/** How an approval wait can end. */
export const APPROVAL_OUTCOMES = ['approved', 'rejected', 'expired', 'cancelled'] as const;
export type ApprovalOutcome = (typeof APPROVAL_OUTCOMES)[number];

/** How an operation can end without completing; each is exit code 1 in the CLI. */
export type OperationEnding = 'denied' | 'rejected' | 'expired' | 'cancelled' | 'failed';
