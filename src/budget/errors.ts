import { formatMoney, fromMicros } from './money.js';
import { periodPhrase, type BudgetPeriod } from './period.js';
import type { BudgetLevel, ReservationState } from './types.js';

export interface BudgetExceededDetails {
  level: BudgetLevel;
  entity: string;
  limitMicros: number;
  spentMicros: number;
  reservedMicros: number;
  requestedMicros: number;
  period: string;
  periodKind: BudgetPeriod;
  /** The level has no limit that refused: the ledger's maximum per period did (limitMicros is it). */
  ceiling?: boolean;
}

/**
 * A reservation would take a level past its limit. An outcome, not a fault: the CLI maps it
 * to exit code 1 and a workflow treats it as non-retryable (its `name` is the failure type).
 */
export class BudgetExceededError extends Error {
  readonly exitCode = 1;
  readonly level: BudgetLevel;
  readonly entity: string;
  readonly limit: number;
  readonly spent: number;
  readonly reserved: number;
  readonly remaining: number;
  readonly requested: number;
  readonly period: string;
  readonly ceiling: boolean;

  constructor(details: BudgetExceededDetails) {
    const remainingMicros = Math.max(0, details.limitMicros - details.spentMicros - details.reservedMicros);
    const who = details.level === 'org' ? 'org' : `${details.level} ${details.entity}`;
    const ceiling = details.ceiling ?? false;
    const of = ceiling ? `the ledger's maximum of ${formatMoney(details.limitMicros)} per entity` : formatMoney(details.limitMicros);
    super(`${who} budget exceeded: ${formatMoney(remainingMicros)} left of ${of} `
      + `${periodPhrase(details.periodKind)}, ${formatMoney(details.requestedMicros)} requested`
      + (ceiling ? ' (the most one user, team or org can hold in a period)' : ''));
    this.name = 'BudgetExceededError';
    this.ceiling = ceiling;
    this.level = details.level;
    this.entity = details.entity;
    this.limit = fromMicros(details.limitMicros);
    this.spent = fromMicros(details.spentMicros);
    this.reserved = fromMicros(details.reservedMicros);
    this.remaining = fromMicros(remainingMicros);
    this.requested = fromMicros(details.requestedMicros);
    this.period = details.period;
  }

  /** Plain fields, e.g. for the details of a Temporal ApplicationFailure. */
  toJSON() {
    const { level, entity, limit, spent, reserved, remaining, requested, period, ceiling } = this;
    return { name: this.name, message: this.message, level, entity, limit, spent, reserved, remaining, requested, period, ceiling };
  }
}

/** commit/adjust for a key that was never reserved. */
export class BudgetReservationNotFoundError extends Error {
  constructor(readonly key: string, readonly operation: 'commit' | 'adjust') {
    super(`budget reservation ${key} not found: cannot ${operation} a cost that was never reserved`);
    this.name = 'BudgetReservationNotFoundError';
  }
}

/** An operation the reservation's state forbids, e.g. commit after release. */
export class BudgetReservationStateError extends Error {
  constructor(readonly key: string, readonly state: ReservationState, readonly operation: 'commit' | 'adjust') {
    super(operation === 'adjust' && state === 'reserved'
      ? `budget reservation ${key} is not committed yet: commit it before adjusting`
      : `budget reservation ${key} was ${state}: cannot ${operation} it`);
    this.name = 'BudgetReservationStateError';
  }
}
