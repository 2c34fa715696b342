import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { BudgetLedger } from '../../src/budget/ledger.js';
import { parseConfig, type TollgateConfigFile } from '../../src/config.js';

export type BudgetsInput = NonNullable<TollgateConfigFile['budgets']>;

/** Unique names per test, so that tests sharing a database never share a budget. */
export function budgetNames() {
  const id = randomUUID().slice(0, 8);
  return { user: `user-${id}`, team: `team-${id}`, key: (n: number | string) => `wf-${id}-${n}` };
}

/** Budgets as a tollgate.yaml would configure them. */
export const budgetsConfig = (budgets: BudgetsInput) => parseConfig({ budgets }, { env: {} }).budgets;

export const ledgerOn = (pool: pg.Pool, budgets: BudgetsInput) => new BudgetLedger(pool, budgetsConfig(budgets));

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
