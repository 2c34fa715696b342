import type { PolicyDecision } from '../policy/types.js';
import type { ApprovalState } from '../operation/types.js';
import type { OperationEnding } from '../operation/contract.js';
import type { DecideResult } from '../operation/schema.js';

/** An operation ended without running: each maps to exit code 1 in the CLI. */
export class OperationOutcomeError extends Error {
  readonly exitCode = 1;
  constructor(readonly operationId: string, readonly status: OperationEnding, message: string, readonly details?: unknown) {
    super(message);
    this.name = 'OperationOutcomeError';
  }
}

export class OperationDeniedError extends OperationOutcomeError {
  constructor(id: string, message: string, readonly decision: PolicyDecision | undefined, readonly failureType: string) {
    super(id, 'denied', message, decision);
    this.name = 'OperationDeniedError';
  }
}

export class OperationRejectedError extends OperationOutcomeError {
  constructor(id: string, message: string, readonly approval: ApprovalState | undefined) {
    super(id, 'rejected', message, approval);
    this.name = 'OperationRejectedError';
  }
}

export class OperationExpiredError extends OperationOutcomeError {
  constructor(id: string, message: string, readonly approval: ApprovalState | undefined) {
    super(id, 'expired', message, approval);
    this.name = 'OperationExpiredError';
  }
}

export class OperationNotFoundError extends Error {
  readonly exitCode = 2;
  constructor(id: string) {
    super(`no governed operation with id ${id}; list them with \`tollgate approvals list\``);
    this.name = 'OperationNotFoundError';
  }
}

/**
 * The decision API refused a decision: bad or revoked credentials (401), no authority or the
 * requester's own (403), already decided (409), a bad grant (400). Exit code 1.
 */
export class DecisionRefusedError extends Error {
  readonly exitCode = 1;
  constructor(readonly operationId: string, readonly httpStatus: number, message: string, readonly result?: DecideResult) {
    super(message);
    this.name = 'DecisionRefusedError';
  }
}
