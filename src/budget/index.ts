export { BudgetLedger, type BudgetAuditSink, type BudgetLedgerOptions, type ReleaseStaleResult } from './ledger.js';
export { budgetEntities } from './entities.js';
export { budgetContext, levelExceeded, readsBudgetContext, type BudgetContext } from './context.js';
export {
  recordBudgetAlerts, deliverBudgetAlerts, deliverBudgetOverrun, undeliveredBudgetAlerts, crossedThresholds, formatBudgetAlert,
  type BudgetAlert, type BudgetAlertSink,
} from './alerts.js';
export { BudgetExceededError, BudgetReservationNotFoundError, BudgetReservationStateError } from './errors.js';
export { periodKey, periodKindOf, periodAdjective, periodPhrase, BUDGET_PERIODS, type BudgetPeriod } from './period.js';
export {
  costToMicros, limitToMicros, wholeMicros, fromMicros, formatMoney, MICROS_PER_UNIT, MAX_OPERATION_AMOUNT, MAX_PERIOD_AMOUNT,
} from './money.js';
export { formatBudgetOverrun } from './overrun.js';
export { levelStatus } from './status.js';
export {
  BUDGET_LEVELS, ORG_ENTITY,
  type AdjustResult, type BudgetChange, type BudgetEntities, type BudgetEntry, type BudgetLevel, type BudgetLevelStatus,
  type BudgetOverrun, type BudgetReservation, type BudgetsConfig, type CommitResult, type OverrunLevel, type ReservationState,
  type ReserveResult,
} from './types.js';
