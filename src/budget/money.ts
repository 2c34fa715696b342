import { TollgateInputError } from '../errors.js';

/**
 * Money is held as integer micro-units (1 USD = 1 000 000) from the moment it enters the
 * ledger, so that sums are exact: in binary floating point 0.1 + 0.2 is not 0.3, and a
 * month of small model calls would drift. Amounts finer than a micro-unit are rounded.
 */
export const MICROS_PER_UNIT = 1_000_000;

/** Largest single amount accepted (a billion), far inside the exact integer range of a double. */
const MAX_AMOUNT = 1_000_000_000;

export function toMicros(amount: number, field = 'amount'): number {
  if (typeof amount !== 'number' || !Number.isFinite(amount)) {
    throw new TollgateInputError(`${field}: expected a finite number, got ${String(amount)}`, field);
  }
  if (amount < 0) throw new TollgateInputError(`${field}: must not be negative, got ${amount}`, field);
  if (amount > MAX_AMOUNT) throw new TollgateInputError(`${field}: ${amount} is larger than ${MAX_AMOUNT}`, field);
  return Math.round(amount * MICROS_PER_UNIT);
}

/** The nearest double to the exact amount, so 2 350 000 micro-units read back as 2.35. */
export function fromMicros(micros: number): number {
  return micros / MICROS_PER_UNIT;
}

/** pg returns BIGINT and SUM() as strings; refuse anything a double cannot hold exactly. */
export function microsFromSql(value: string | number | bigint | null | undefined): number {
  if (value === null || value === undefined) return 0;
  const micros = Number(value);
  if (!Number.isSafeInteger(micros)) throw new Error(`budget amount out of range: ${String(value)} micro-units`);
  return micros;
}

/** Two decimals, rounded half away from zero on the exact integer, e.g. 2 345 000 -> "2.35". */
export function formatMoney(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const cents = Math.floor((Math.abs(micros) + 5_000) / 10_000);
  const whole = Math.floor(cents / 100);
  return `${sign}${whole}.${String(cents % 100).padStart(2, '0')}`;
}
