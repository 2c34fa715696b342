import { allHandlersFinished, CancellationScope, condition, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import { FailureType, statusQuery } from '../src/operation/contract.js';
import type { OperationInput } from '../src/operation/schema.js';
import type { OperationResult } from '../src/operation/types.js';
import { deniedMessage, expiredMessage, failedMessage, failureCause, rejectedMessage } from '../src/operation/outcome.js';
import { operationCancelledEntry, operationCompletedEntry, operationFailedEntry, operationStartedEntry } from '../src/audit/entries.js';
import { gate, handlerFor } from './activities.js';
import { OperationRecord } from './operationRecord.js';
import { ApprovalDesk } from './approvalDesk.js';

/** A governed operation: evaluate, reserve, wait for approval, run, settle. */
export async function governedOperation(input: OperationInput): Promise<OperationResult> {
  const record = new OperationRecord(workflowInfo().workflowId, input);
  const { id, view, audit } = record;
  setHandler(statusQuery, () => view);
  const desk = new ApprovalDesk(record);
  let reserved = false;

  try {
    const evaluation = await gate.evaluatePolicy({ ...input, id });
    record.evaluated(evaluation);
    const { request, decision } = evaluation;
    if (decision.effect === 'deny') throw record.fail('denied', FailureType.PolicyViolation, deniedMessage(decision), decision);

    if (input.estimatedCost !== undefined) {
      const reservation = await gate.reserveBudget({ key: id, request, amount: input.estimatedCost });
      if (!reservation.reserved) throw record.fail('denied', FailureType.BudgetExceeded, reservation.message, reservation.exceeded);
      reserved = true;
    }

    let approvedNotice: Promise<unknown> = Promise.resolve();
    if (decision.effect === 'require_approval') {
      if (evaluation.grant) desk.approvedByGrant(evaluation);
      else {
        const outcome = await desk.wait(evaluation);
        if (outcome === 'rejected') throw record.fail('rejected', FailureType.ApprovalRejected, rejectedMessage(view.approval!), view.approval);
        if (outcome === 'expired') throw record.fail('expired', FailureType.ApprovalExpired, expiredMessage(view.approval!), view.approval);
        // Updating the message need not delay the operation: it runs alongside and is awaited below.
        approvedNotice = desk.close(outcome);
      }
    }

    let result: unknown;
    let cost = input.estimatedCost;
    const operation = input.operation;
    if (operation && !operation.gateOnly) {
      record.status('executing');
      await gate.recordAudit([operationStartedEntry(audit, { operation: operation.name, args: operation.args })]);
      try {
        const output = await handlerFor(operation)({ id, name: operation.name, args: operation.args, request, decision, approval: view.approval });
        result = output.result;
        cost = output.actualCost ?? cost;
        await gate.recordAudit([operationCompletedEntry(audit, { cost, ...output.auditDetail })]);
      } catch (error) {
        if (isCancellation(error)) throw error;
        const cause = failureCause(error);
        await gate.recordAudit([operationFailedEntry(audit, { error: record.redactor.redactString(cause.message), errorType: cause.type })]);
        throw record.fail('failed', FailureType.OperationFailed, failedMessage(operation.name, cause.message), { operation: operation.name });
      }
    }

    // A pure gate commits its estimate when it opens; adjustCost corrects it later.
    if (reserved && cost !== undefined) {
      await gate.commitBudget({ key: id, amount: cost });
      reserved = false;
    }
    await approvedNotice;
    record.status('completed');
    await condition(allHandlersFinished);
    return { id, status: 'completed', decision, approval: view.approval, result, ...(cost !== undefined ? { cost } : {}) };
  } catch (error) {
    // Whatever ends the operation gives its reservation back, fixes its status and closes its
    // message, even while the workflow is being cancelled.
    let ending = error;
    await CancellationScope.nonCancellable(async () => {
      if (isCancellation(error)) {
        view.error = 'cancelled';
        record.status('cancelled');
        await gate.recordAudit([operationCancelledEntry(audit, { reason: 'cancelled' })]);
      } else if (!record.ended) {
        const cause = failureCause(error);
        await gate.recordAudit([operationFailedEntry(audit, { error: record.redactor.redactString(cause.message), errorType: cause.type })]);
        ending = record.fail('failed', FailureType.OperationFailed, cause.message);
      }
      if (reserved) await gate.releaseBudget({ key: id });
      await desk.close('cancelled');
      await condition(allHandlersFinished);
    });
    throw ending;
  }
}
