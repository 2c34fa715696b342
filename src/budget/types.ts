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
  /** Committed amount; null until committed. */
  actual: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ReserveResult extends BudgetReservation {
  /** False when the key already had a reservation, which is returned unchanged. */
  created: boolean;
}

export interface CommitResult {
  reservation: BudgetReservation;
  /** Each level right after the commit, for threshold alerts. */
  levels: BudgetLevelStatus[];
}

export interface BudgetEntry {
  key: string;
  kind: 'reserve' | 'commit' | 'release' | 'adjust';
  /** For 'adjust', the signed correction. */
  amount: number;
  at: Date;
}
