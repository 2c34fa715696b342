/**
 * Changes people make to budgets (a cost corrected afterwards, a limit set or cleared) land in
 * the audit trail with who made them, once each, even when the append after the change is lost.
 */
import { describe, expect, it } from 'vitest';
import { AuditTrail } from '../../../src/audit/trail.js';
import type { AuditEntryInput } from '../../../src/audit/types.js';
import { BudgetLedger } from '../../../src/budget/ledger.js';
import { TollgateInputError } from '../../../src/errors.js';
import { describeEachDatabase } from '../../support/databases.js';
import { budgetNames, budgetsConfig } from '../../support/budgetFixtures.js';

const NOV = new Date('2025-11-20T12:00:00Z');

/** An audit trail whose first append fails, as if the database went away right after the change. */
function losingFirstAppend(trail: AuditTrail) {
  let lost = false;
  return {
    async append(entries: AuditEntryInput[]) {
      if (!lost) {
        lost = true;
        throw new Error('audit append lost');
      }
      return trail.append(entries);
    },
  };
}

describeEachDatabase('budget changes in the audit trail', (db) => {
  const config = budgetsConfig;
  const trail = () => new AuditTrail(db().pool);

  describe('adjust', () => {
    it('writes budget_adjusted with the actor, the correction and the amounts, once per change', async () => {
      const n = budgetNames();
      const budget = new BudgetLedger(db().pool, config({}), { audit: trail() });
      await budget.reserve(n.key(1), { user: n.user, org: 'org' }, 2.5, NOV);
      await budget.commit(n.key(1), 2.35, NOV);
      await budget.adjust(n.key(1), 2.4, { actor: 'alice', reason: 'invoice INV-7', now: NOV });
      await budget.adjust(n.key(1), 2.4, { actor: 'alice', now: NOV });
      await budget.adjust(n.key(1), 2.1, { actor: 'bob', now: NOV });
      // Back to an amount it had before: still a change of its own.
      await budget.adjust(n.key(1), 2.4, { actor: 'alice', now: NOV });
      const entries = await trail().query({ operationId: n.key(1), type: 'budget_adjusted' });
      expect(entries.map((e) => [e.actor, e.data.amount, e.data.previous, e.data.actual])).toEqual([
        ['alice', 0.05, 2.35, 2.4], ['bob', -0.3, 2.4, 2.1], ['alice', 0.3, 2.1, 2.4],
      ]);
      expect(entries[0].data).toMatchObject({ reason: 'invoice INV-7', user: n.user, period: '2025-11' });
      expect(entries[0].at).toBe(NOV.toISOString());
      expect((await trail().verify()).ok).toBe(true);
    });

    it('writes the entry on the retry when the append after the change was lost', async () => {
      const n = budgetNames();
      const budget = new BudgetLedger(db().pool, config({}), { audit: losingFirstAppend(trail()) });
      await budget.reserve(n.key(1), { user: n.user, org: 'org' }, 1, NOV);
      await budget.commit(n.key(1), 1, NOV);
      await expect(budget.adjust(n.key(1), 3, { actor: 'alice', now: NOV })).rejects.toThrow('audit append lost');
      // The correction itself was made; the retry changes nothing more and writes the entry.
      expect((await budget.get(n.key(1)))?.actual).toBe(3);
      await budget.adjust(n.key(1), 3, { actor: 'alice', now: NOV });
      await budget.adjust(n.key(1), 3, { actor: 'alice', now: NOV });
      const entries = await trail().query({ operationId: n.key(1), type: 'budget_adjusted' });
      expect(entries.map((e) => [e.actor, e.data.amount])).toEqual([['alice', 2]]);
      expect((await budget.status({ user: n.user }, NOV))[0].spent).toBe(3);
    });

    it('refuses a change with no actor', async () => {
      const n = budgetNames();
      const budget = new BudgetLedger(db().pool, config({}), { audit: trail() });
      await budget.reserve(n.key(1), { user: n.user, org: 'org' }, 1, NOV);
      await budget.commit(n.key(1), 1, NOV);
      await expect(budget.adjust(n.key(1), 2, { actor: '', now: NOV })).rejects.toThrow(TollgateInputError);
      await expect(budget.adjust(n.key(1), 2, { actor: ' ', now: NOV })).rejects.toThrow(/actor: who made the change/);
      await expect(budget.setLimit('user', n.user, 2, { actor: '' })).rejects.toThrow(/actor/);
      expect((await budget.get(n.key(1)))?.actual).toBe(1);
    });
  });

  describe('limits', () => {
    it('writes budget_limit_set with the actor, the new and the previous limit, for set, lift and clear', async () => {
      const n = budgetNames();
      const budget = new BudgetLedger(db().pool, config({ teams: { [n.team]: 1000 } }), { audit: trail() });
      await budget.setLimit('team', n.team, 5, { actor: 'carol', reason: 'cost freeze', now: NOV });
      await budget.setLimit('team', n.team, 5, { actor: 'carol', now: NOV });
      await budget.setLimit('team', n.team, null, { actor: 'dave', now: NOV });
      expect(await budget.clearLimit('team', n.team, { actor: 'erin', now: NOV })).toBe(true);
      expect(await budget.clearLimit('team', n.team, { actor: 'erin', now: NOV })).toBe(false);
      const entries = (await trail().query({ type: 'budget_limit_set', actor: undefined }))
        .filter((e) => e.data.entity === n.team);
      expect(entries.map((e) => [e.actor, e.outcome, e.data.limit, e.data.previous])).toEqual([
        ['carol', 'override', 5, 1000], ['dave', 'override', null, 5], ['erin', 'config', 1000, null],
      ]);
      expect(entries[0].data).toMatchObject({ level: 'team', reason: 'cost freeze' });
    });

    it('writes the entry on the retry when the append after the change was lost', async () => {
      const n = budgetNames();
      const budget = new BudgetLedger(db().pool, config({}), { audit: losingFirstAppend(trail()) });
      await expect(budget.setLimit('user', n.user, 7, { actor: 'carol', now: NOV })).rejects.toThrow('audit append lost');
      await budget.setLimit('user', n.user, 7, { actor: 'carol', now: NOV });
      const entries = (await trail().query({ type: 'budget_limit_set', actor: 'carol' })).filter((e) => e.data.entity === n.user);
      expect(entries.map((e) => e.data.limit)).toEqual([7]);
      expect((await budget.status({ user: n.user }, NOV))[0].limit).toBe(7);
    });
  });
});
