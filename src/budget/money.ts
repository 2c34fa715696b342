import { TollgateInputError } from '../errors.js';

/**
 * Money is held as integer micro-units (1 USD = 1 000 000) from the moment it enters the
 * ledger, so that sums are exact: in binary floating point 0.1 + 0.2 is not 0.3, and a
 * month of small model calls would drift.
 */
export const MICROS_PER_UNIT = 1_000_000;

/** Largest amount one operation may reserve, commit or be adjusted to (a billion). */
export const MAX_OPERATION_AMOUNT = 1_000_000_000;

/**
 * Largest amount one entity (a user, a team, the org) may hold in one period, spent and
 * reserved together, and so the largest limit. 9e15 micro-units: every total and every sum of
 * two totals the ledger computes stays an exact double (below 2^53 ≈ 9.007e15) and far inside
 * BIGINT. Without it an unlimited org summed past both, and `status` could no longer be read.
 */
export const MAX_PERIOD_AMOUNT = 9_000_000_000;

function checkAmount(amount: number, field: string, max: number, per: string): void {
  if (typeof amount !== 'number' || !Number.isFinite(amount)) {
    throw new TollgateInputError(`${field}: expected a finite number, got ${String(amount)}`, field);
  }
  if (amount < 0) throw new TollgateInputError(`${field}: must not be negative, got ${amount}`, field);
  if (amount > max) throw new TollgateInputError(`${field}: ${amount} is more than the maximum of ${max} per ${per}`, field);
}

/** A number whose shortest decimal form has at most six decimals: a whole number of micro-units. */
const WHOLE_MICROS = /^(\d+)(?:\.(\d{1,6}))?$/;

/**
 * Micro-units from a decimal amount. One written with at most six decimals (2.35, 8718681317.23)
 * converts exactly from its decimal form: multiplying it out can land a micro-unit off once the
 * amount is above 2^33. Any other amount is multiplied out, and a result within rounding error
 * of an integer is that integer (0.1 + 0.2 costs 300 000, not 300 001); further away, it is a
 * fraction of a micro-unit and is rounded in `direction`.
 */
function scaled(amount: number, direction: 'up' | 'down'): number {
  const decimal = WHOLE_MICROS.exec(String(amount));
  if (decimal) return Number(decimal[1]) * MICROS_PER_UNIT + Number((decimal[2] ?? '').padEnd(6, '0'));
  const micros = amount * MICROS_PER_UNIT;
  const nearest = Math.round(micros);
  if (Math.abs(micros - nearest) <= micros * 2 * Number.EPSILON) return nearest;
  return direction === 'up' ? Math.ceil(micros) : Math.floor(micros);
}

/**
 * A cost (estimate, actual, correction) in micro-units, rounded up: a cost below a micro-unit
 * still costs one, or 300 calls of 4e-7 would each be free and together pass any limit.
 */
export function costToMicros(amount: number, field = 'amount'): number {
  checkAmount(amount, field, MAX_OPERATION_AMOUNT, 'operation');
  return scaled(amount, 'up');
}

/** A limit in micro-units, rounded down, so it never allows more than it says. */
export function limitToMicros(amount: number, field = 'limit'): number {
  checkAmount(amount, field, MAX_PERIOD_AMOUNT, 'period');
  return scaled(amount, 'down');
}

/**
 * An amount to compare with the ledger's, in micro-units: one the ledger reported (status,
 * alerts), which is whole micro-units already, or a threshold. It refuses nothing, so that
 * reading what is stored never fails.
 */
export function wholeMicros(amount: number): number {
  return Math.round(amount * MICROS_PER_UNIT);
}

/** The nearest double to the exact amount, so 2 350 000 micro-units read back as 2.35. */
export function fromMicros(micros: number): number {
  return micros / MICROS_PER_UNIT;
}

/**
 * pg returns BIGINT and SUM() as strings. Everything the ledger writes now is an exact double;
 * totals written before MAX_PERIOD_AMOUNT existed may not be, and read back to the nearest
 * double rather than failing every `status`.
 */
export function microsFromSql(value: string | number | bigint | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return Number(value);
}

/** Two decimals, rounded half away from zero on the exact integer, e.g. 2 345 000 -> "2.35". */
export function formatMoney(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const cents = Math.floor((Math.abs(micros) + 5_000) / 10_000);
  const whole = Math.floor(cents / 100);
  return `${sign}${whole}.${String(cents % 100).padStart(2, '0')}`;
}
