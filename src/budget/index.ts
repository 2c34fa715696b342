export { BudgetLedger, type ReleaseStaleResult } from './ledger.js';
export { budgetEntities } from './entities.js';
export { budgetContext, levelExceeded, readsBudgetContext, type BudgetContext } from './context.js';
export {
  recordBudgetAlerts, deliverBudgetAlerts, undeliveredBudgetAlerts, crossedThresholds, formatBudgetAlert,
  type BudgetAlert, type BudgetAlertSink,
} from './alerts.js';
export { BudgetExceededError, BudgetReservationNotFoundError, BudgetReservationStateError } from './errors.js';
export { periodKey, periodKindOf, periodAdjective, periodPhrase, BUDGET_PERIODS, type BudgetPeriod } from './period.js';
export { toMicros, fromMicros, formatMoney, MICROS_PER_UNIT } from './money.js';
export { configuredLimitMicros } from './limits.js';
export { levelStatus } from './status.js';
export {
  BUDGET_LEVELS, ORG_ENTITY,
  type BudgetEntities, type BudgetEntry, type BudgetLevel, type BudgetLevelStatus, type BudgetReservation,
  type BudgetsConfig, type CommitResult, type ReservationState, type ReserveResult,
} from './types.js';
