/**
 * A commit above its reservation: the difference is rechecked against every limit, atomically.
 * It fits, or it is an overrun: `budgets.overrun: record` (the default) charges it and marks
 * it; `refuse` charges only the reservation and leaves the excess unpaid for `adjust`.
 */
import { describe, expect, it } from 'vitest';
import type { BudgetEntities } from '../../../src/budget/types.js';
import { describeEachDatabase } from '../../support/databases.js';
import { budgetNames, ledgerOn, type BudgetsInput } from '../../support/budgetFixtures.js';

const NOV = new Date('2025-11-20T12:00:00Z');

describeEachDatabase('budget overruns', (db) => {
  const ledger = (budgets: BudgetsInput) => ledgerOn(db().pool, budgets);

  it('charges a commit above its reservation that still fits, without calling it an overrun', async () => {
    const n = budgetNames();
    const budget = ledger({ teams: { [n.team]: 50 } });
    await budget.reserve(n.key(1), { user: n.user, team: n.team, org: 'org' }, 1, NOV);
    const result = await budget.commit(n.key(1), 3, NOV);
    expect(result.overrun).toBeNull();
    expect(result.reservation).toMatchObject({ state: 'committed', estimated: 1, actual: 3, overrun: 0, unpaid: 0 });
    expect((await budget.status({ team: n.team }, NOV))[0]).toMatchObject({ spent: 3, reserved: 0, remaining: 47 });
  });

  describe('record (the default)', () => {
    it('charges what the operation cost, past the limit, and reports the overrun and the levels it broke', async () => {
      const n = budgetNames();
      const budget = ledger({ teams: { [n.team]: 50 }, users: { [n.user]: 10_000 } });
      await budget.reserve(n.key(1), { user: n.user, team: n.team, org: 'org' }, 1, NOV);
      const result = await budget.commit(n.key(1), 5000, NOV);
      expect(result.reservation).toMatchObject({ state: 'committed', estimated: 1, actual: 5000, overrun: 4999, unpaid: 0 });
      expect(result.overrun).toMatchObject({
        key: n.key(1), reserved: 1, reported: 5000, charged: 5000, unpaid: 0, period: '2025-11', alerted: false,
        entities: { user: n.user, team: n.team, org: 'org' },
        levels: [{ level: 'team', entity: n.team, limit: 50, used: 5000, ceiling: false }],
      });
      const [team] = await budget.status({ team: n.team }, NOV);
      expect(team).toMatchObject({ spent: 5000, remaining: 0 });
      // A retried commit returns the same overrun (so its alert and audit entry survive a lost reply), and charges nothing more.
      const retry = await budget.commit(n.key(1), 5000, NOV);
      expect(retry.overrun).toMatchObject({ charged: 5000, unpaid: 0, levels: [{ level: 'team' }] });
      expect((await budget.status({ team: n.team }, NOV))[0].spent).toBe(5000);
      expect((await budget.entries(n.key(1))).map((e) => [e.kind, e.amount])).toEqual([['reserve', 1], ['commit', 5000]]);
    });

    it('marks an overrun alerted once', async () => {
      const n = budgetNames();
      const budget = ledger({ users: { [n.user]: 1 } });
      await budget.reserve(n.key(1), { user: n.user, org: 'org' }, 1, NOV);
      await budget.commit(n.key(1), 2, NOV);
      expect(await Promise.all([budget.markOverrunAlerted(n.key(1)), budget.markOverrunAlerted(n.key(1))])).toEqual(expect.arrayContaining([true, false]));
      expect((await budget.commit(n.key(1), 2, NOV)).overrun).toMatchObject({ alerted: true });
      expect(await budget.markOverrunAlerted(n.key('none'))).toBe(false);
    });
  });

  describe('refuse', () => {
    it('charges only the reservation and leaves the excess unpaid until someone adjusts it', async () => {
      const n = budgetNames();
      const budget = ledger({ overrun: 'refuse', teams: { [n.team]: 50 } });
      await budget.reserve(n.key(1), { user: n.user, team: n.team, org: 'org' }, 1, NOV);
      const result = await budget.commit(n.key(1), 5000, NOV);
      expect(result.reservation).toMatchObject({ state: 'committed', estimated: 1, actual: 1, overrun: 4999, unpaid: 4999 });
      expect(result.overrun).toMatchObject({ reserved: 1, reported: 5000, charged: 1, unpaid: 4999, levels: [{ level: 'team', limit: 50, used: 5000 }] });
      expect((await budget.status({ team: n.team }, NOV))[0]).toMatchObject({ spent: 1, remaining: 49 });

      const settled = await budget.adjust(n.key(1), 5000, { actor: 'finance-lead', reason: 'invoice INV-9', now: NOV });
      expect(settled.reservation).toMatchObject({ actual: 5000, unpaid: 0 });
      expect((await budget.status({ team: n.team }, NOV))[0]).toMatchObject({ spent: 5000 });
    });
  });

  it.each([['record', 60, 5], ['refuse', 50, 5]] as const)(
    'rechecks each excess atomically under 20 parallel commits (%s)', async (overrun, spent, overruns) => {
      const n = budgetNames();
      const budget = ledger({ overrun, teams: { [n.team]: 50 } });
      const entities = (i: number): BudgetEntities => ({ user: `${n.user}-${i}`, team: n.team, org: 'org' });
      await Promise.all(Array.from({ length: 20 }, (_, i) => budget.reserve(n.key(i), entities(i), 1, NOV)));
      // Each costs 3 against 1 reserved: 15 excesses of 2 fit in 50 - 20, the other five do not.
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => budget.commit(n.key(i), 3, NOV)));
      expect(results.filter((r) => r.overrun !== null)).toHaveLength(overruns);
      const [team] = await budget.status({ team: n.team }, NOV);
      expect(team).toMatchObject({ spent, reserved: 0 });
      const unpaid = results.reduce((sum, r) => sum + r.reservation.unpaid, 0);
      expect(unpaid).toBe(overrun === 'refuse' ? 10 : 0);
    });
});
