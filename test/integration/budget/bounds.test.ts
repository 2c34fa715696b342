/**
 * What the ledger can hold: a maximum per operation and per period, so sums never leave the
 * exact range of a double (nor BIGINT), and costs below a micro-unit that still cost something.
 * Each test uses a period of its own: the org's totals are per period and shared by all tests.
 */
import { expect, it } from 'vitest';
import { BudgetExceededError } from '../../../src/budget/errors.js';
import { MAX_OPERATION_AMOUNT, MAX_PERIOD_AMOUNT } from '../../../src/budget/money.js';
import { TollgateInputError } from '../../../src/errors.js';
import { describeEachDatabase } from '../../support/databases.js';
import { budgetNames, ledgerOn, rejection, type BudgetsInput } from '../../support/budgetFixtures.js';

describeEachDatabase('budget bounds', (db) => {
  const ledger = (budgets: BudgetsInput) => ledgerOn(db().pool, budgets);

  it('fills an unlimited org up to the maximum per period, then refuses with a clear error, and status still answers', async () => {
    const n = budgetNames();
    const MARCH = new Date('2031-03-10T00:00:00Z');
    const budget = ledger({});
    const perPeriod = MAX_PERIOD_AMOUNT / MAX_OPERATION_AMOUNT;
    for (let i = 0; i < perPeriod; i++) await budget.reserve(n.key(i), { user: `${n.user}-${i}`, org: 'org' }, MAX_OPERATION_AMOUNT, MARCH);
    const error = await rejection(budget.reserve(n.key('one-more'), { user: `${n.user}-x`, org: 'org' }, 1, MARCH));
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error).toMatchObject({ level: 'org', entity: 'org', ceiling: true, limit: MAX_PERIOD_AMOUNT, remaining: 0, requested: 1 });
    expect((error as Error).message).toBe('org budget exceeded: 0.00 left of the ledger\'s maximum of 9000000000.00 per entity this month, '
      + '1.00 requested (the most one user, team or org can hold in a period)');
    const levels = await budget.status({ user: `${n.user}-0` }, MARCH);
    expect(levels.map((l) => [l.level, l.reserved, l.limit])).toEqual([['user', MAX_OPERATION_AMOUNT, null], ['org', MAX_PERIOD_AMOUNT, null]]);
    await expect(budget.budgetContext({ user: n.user, org: 'org' }, 1, MARCH)).resolves.toMatchObject({ org_reserved: MAX_PERIOD_AMOUNT });
  });

  it('answers status on totals written before the maximum existed, and refuses to add to them', async () => {
    const n = budgetNames();
    const JANUARY = new Date('2030-01-15T00:00:00Z');
    // What 9,100 reservations of 1e9 left behind, when nothing stopped them.
    await db().pool.query(
      `INSERT INTO budget_totals (level, entity, period, spent_micros, reserved_micros)
       VALUES ('org', 'org', '2030-01', 0, 9100000000000000000), ('user', $1, '2030-01', 0, 9100000000000000000)`, [n.user]);
    const budget = ledger({ org: 10_000 });
    const [user, org] = await budget.status({ user: n.user }, JANUARY);
    expect(user.reserved).toBe(9.1e12);
    expect(org).toMatchObject({ reserved: 9.1e12, limit: 10_000, remaining: 0 });
    await expect(budget.budgetContext({ user: n.user, org: 'org' }, 1, JANUARY)).resolves.toMatchObject({ org_budget_exceeded: true });
    await expect(budget.reserve(n.key(1), { user: n.user, org: 'org' }, 1, JANUARY)).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it('refuses amounts past the maximum per operation, and limits past the maximum per period, naming the field', async () => {
    const n = budgetNames();
    const budget = ledger({});
    await expect(budget.reserve(n.key(1), { user: n.user, org: 'org' }, 2e9)).rejects.toThrow('estimatedCost: 2000000000 is more than the maximum of 1000000000 per operation');
    await budget.reserve(n.key(2), { user: n.user, org: 'org' }, 1);
    await expect(budget.commit(n.key(2), 2e9)).rejects.toThrow(TollgateInputError);
    expect(() => ledger({ org: 1e10 })).toThrow('budgets.org: 10000000000 is more than the maximum of 9000000000 per period');
    expect(() => ledger({ teams: { big: 2e10 } })).toThrow(/budgets\.teams\.big: /);
    await expect(budget.setLimit('user', n.user, 1e10, { actor: 'carol' })).rejects.toThrow('limit: 10000000000 is more than the maximum of 9000000000 per period');
  });

  it('charges a cost below a micro-unit as one micro-unit, so 101 of 4e-7 do not fit a limit of 0.0001', async () => {
    const n = budgetNames();
    const APRIL = new Date('2031-04-10T00:00:00Z');
    const budget = ledger({ users: { [n.user]: 0.0001 } });
    for (let i = 0; i < 100; i++) await budget.reserve(n.key(i), { user: n.user, org: 'org' }, 4e-7, APRIL);
    await expect(budget.reserve(n.key(100), { user: n.user, org: 'org' }, 4e-7, APRIL)).rejects.toBeInstanceOf(BudgetExceededError);
    expect((await budget.status({ user: n.user }, APRIL))[0]).toMatchObject({ reserved: 0.0001, remaining: 0 });
    const committed = await budget.commit(n.key(0), 4e-7, APRIL);
    expect(committed.reservation).toMatchObject({ estimated: 0.000001, actual: 0.000001 });
    await budget.release(n.key(1), APRIL);
    await budget.adjust(n.key(0), 1e-9, { actor: 'alice', now: APRIL });
    expect((await budget.get(n.key(0)))?.actual).toBe(0.000001);
  });
});
