import { ApplicationFailure } from '@temporalio/activity';
import type { TollgateConfig } from '../src/config.js';
import { TollgateInputError } from '../src/errors.js';
import {
  BudgetExceededError, BudgetReservationStateError, budgetEntities, deliverBudgetAlerts, deliverBudgetOverrun, recordBudgetAlerts,
  type BudgetAlertSink, type BudgetLedger,
} from '../src/budget/index.js';
import type { Queryable } from '../src/store/connect.js';
import type { PolicyRequest } from '../src/policy/types.js';
import { budgetAlertEntry, budgetEntry, budgetOverrunEntry, type AuditEntryInput } from '../src/audit/index.js';
import { FailureType } from '../src/operation/contract.js';

export interface BudgetDependencies {
  config: Pick<TollgateConfig, 'budgets'>;
  ledger: BudgetLedger;
  db: Queryable;
  alerts: BudgetAlertSink;
}

export type ReserveOutcome = { reserved: true } | { reserved: false; message: string; exceeded: ReturnType<BudgetExceededError['toJSON']> };

/** An amount the ledger refuses (NaN, negative, past the maximum) will be refused on every retry too. */
function nonRetryableInput(error: unknown): never {
  if (error instanceof TollgateInputError) throw ApplicationFailure.nonRetryable(error.message, FailureType.InvalidBudgetAmount);
  throw error;
}

/** Reserve, commit and release by operation id: each is idempotent, so activity retries are harmless. */
export function createBudgetActivities(deps: BudgetDependencies | null, record: (entries: AuditEntryInput[]) => Promise<void>) {
  const ledger = () => {
    if (!deps) throw ApplicationFailure.nonRetryable('this operation has an estimatedCost, but the worker has no budget ledger (start it with a database)', FailureType.BudgetUnavailable);
    return deps;
  };
  return {
    async reserveBudget(args: { key: string; request: PolicyRequest; amount: number }): Promise<ReserveOutcome> {
      const { ledger: budget, config } = ledger();
      try {
        const entities = budgetEntities(args.request, config.budgets);
        await budget.reserve(args.key, entities, args.amount);
        await record([budgetEntry('budget_reserved', { operationId: args.key, requester: args.request.subject.identifier, action: args.request.action, resource: args.request.resource }, { amount: args.amount, user: entities.user, team: entities.team })]);
        return { reserved: true };
      } catch (error) {
        if (error instanceof BudgetExceededError) return { reserved: false, message: error.message, exceeded: error.toJSON() };
        return nonRetryableInput(error);
      }
    },

    /**
     * Turn the reservation into spend, then send each threshold alert this commit crossed (once).
     * A commit past its reservation that did not fit is an overrun: audited, and alerted once.
     * The operation has run either way, so an overrun never fails the activity.
     */
    async commitBudget(args: { key: string; amount: number }): Promise<void> {
      const { ledger: budget, config, db, alerts } = ledger();
      try {
        const { reservation, levels, overrun } = await budget.commit(args.key, args.amount);
        // What the budgets were charged: under `budgets.overrun: refuse` less than the operation reported.
        await record([budgetEntry('budget_committed', { operationId: args.key }, { amount: reservation.actual! })]);
        if (overrun) {
          await record([budgetOverrunEntry({ operationId: args.key, requester: overrun.entities.user }, overrun)]);
          await deliverBudgetOverrun(alerts, overrun, () => budget.markOverrunAlerted(args.key));
        }
        const crossed = await recordBudgetAlerts(db, levels, config.budgets.alertThresholds);
        await record(crossed.map(budgetAlertEntry));
        await deliverBudgetAlerts(db, alerts, crossed);
      } catch (error) {
        if (error instanceof BudgetReservationStateError) throw ApplicationFailure.nonRetryable(error.message, FailureType.BudgetReservationState);
        nonRetryableInput(error);
      }
    },

    async releaseBudget(args: { key: string }): Promise<void> {
      const released = await ledger().ledger.release(args.key);
      await record([budgetEntry('budget_released', { operationId: args.key }, { amount: released.estimated })]);
    },
  };
}
