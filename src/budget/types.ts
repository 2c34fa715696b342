import type { TollgateConfig } from '../config.js';
import type { BudgetPeriod } from './period.js';

export type BudgetsConfig = TollgateConfig['budgets'];

export type BudgetLevel = 'user' | 'team' | 'org';
export const BUDGET_LEVELS: readonly BudgetLevel[] = ['user', 'team', 'org'];

/** The org has one budget; its entity is always "org". */
export const ORG_ENTITY = 'org';

/** Who a cost is charged to. */
export interface BudgetEntities {
  user: string;
  team?: string;
  org: typeof ORG_ENTITY;
}

/** One level's budget in the current period. Amounts are in currency units (e.g. USD). */
export interface BudgetLevelStatus {
  level: BudgetLevel;
  entity: string;
  /** null: no limit at this level (still tracked). */
  limit: number | null;
  /** Committed spend. */
  spent: number;
  /** Held by open reservations. */
  reserved: number;
  /** limit - spent - reserved, never below 0; null when unlimited. */
  remaining: number | null;
  /** spent / limit in percent (2 decimals); null when unlimited, 100 for a zero limit. */
  percent: number | null;
  /** Period key, e.g. "2025-11". */
  period: string;
  periodKind: BudgetPeriod;
}

export type ReservationState = 'reserved' | 'committed' | 'released';

export interface BudgetReservation {
  /** Idempotency key: the workflow id. */
  key: string;
  state: ReservationState;
  /**
   * null only for a tombstone: a release that arrived before any reserve, recorded so that
   * a late, retried reserve with the same key cannot hold budget afterwards.
   */
  entities: BudgetEntities | null;
  /** Period the reservation (and so its spend) belongs to: the one it was made in. */
  period: string | null;
  estimated: number;
  /** Committed amount, what the budgets were charged; null until committed. */
  actual: number | null;
  /**
   * What the commit cost beyond the reservation without fitting a limit (0 when it fitted).
   * Under `budgets.overrun: record` it is charged; under `refuse` it is `unpaid`.
   */
  overrun: number;
  /** Cost the operation reported that was not charged, until an adjustment settles it. */
  unpaid: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ReserveResult extends BudgetReservation {
  /** False when the key already had a reservation, which is returned unchanged. */
  created: boolean;
}

export interface AdjustResult {
  reservation: BudgetReservation;
  /** Each level right after the change, for threshold alerts. */
  levels: BudgetLevelStatus[];
}

export interface CommitResult extends AdjustResult {
  /** Set when the commit went past its reservation and the difference did not fit (also on a retried commit). */
  overrun: BudgetOverrun | null;
}

/** A level the excess of an overrun did not fit. */
export interface OverrunLevel {
  level: BudgetLevel;
  entity: string;
  /** The level's limit, or the ledger's maximum per period when that is what it broke. */
  limit: number;
  /** Spent and reserved there, with the whole cost counted. */
  used: number;
  /** True when it broke the ledger's maximum per period (MAX_PERIOD_AMOUNT), not a limit. */
  ceiling: boolean;
}

/** An operation that cost more than it reserved, past a limit (see `budgets.overrun`). */
export interface BudgetOverrun {
  key: string;
  entities: BudgetEntities;
  period: string;
  periodKind: BudgetPeriod;
  /** The estimate that was reserved. */
  reserved: number;
  /** What the operation said it cost. */
  reported: number;
  /** What the budgets were charged: `reported` (record) or `reserved` (refuse, or past the ceiling). */
  charged: number;
  /** reported - charged: to be settled with `tollgate budget adjust`. */
  unpaid: number;
  levels: OverrunLevel[];
  /** Whether its alert was sent already (`BudgetLedger.markOverrunAlerted`). */
  alerted: boolean;
}

/** Who changes a budget by hand, and why: every such change is journaled and audited. */
export interface BudgetChange {
  /** Who made the change (required: the audit trail names them). */
  actor: string;
  reason?: string;
  now?: Date;
}

export interface BudgetEntry {
  key: string;
  kind: 'reserve' | 'commit' | 'release' | 'adjust';
  /** For 'adjust', the signed correction. */
  amount: number;
  at: Date;
  /** Who made an adjustment; null for the workflow's own entries. */
  actor: string | null;
}
