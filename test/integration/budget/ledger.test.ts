import { describe, expect, it } from 'vitest';
import { BudgetExceededError, BudgetReservationNotFoundError, BudgetReservationStateError } from '../../../src/budget/errors.js';
import { BudgetLedger } from '../../../src/budget/ledger.js';
import type { BudgetEntities, BudgetLevelStatus } from '../../../src/budget/types.js';
import { describeEachDatabase } from '../../support/databases.js';
import { budgetNames, budgetsConfig, ledgerOn, rejection, type BudgetsInput } from '../../support/budgetFixtures.js';

const NOV = new Date('2025-11-20T12:00:00Z');

function byLevel(levels: BudgetLevelStatus[]) {
  return Object.fromEntries(levels.map((level) => [level.level, level]));
}

describeEachDatabase('budget ledger', (db) => {
  const ledger = (budgets: BudgetsInput) => ledgerOn(db().pool, budgets);

  describe('concurrency', () => {
    it('grants exactly 50 of 200 parallel reservations of 1 against a limit of 50, never holding more', async () => {
      const n = budgetNames();
      const budget = ledger({ users: { [n.user]: 50 } });
      const entities: BudgetEntities = { user: n.user, org: 'org' };
      let running = true;
      const seen: number[] = [];
      const watcher = (async () => {
        while (running) {
          const [user] = await budget.status({ user: n.user }, NOV);
          seen.push(user.spent + user.reserved);
        }
      })();
      const outcomes = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
        try {
          await budget.reserve(n.key(i), entities, 1, NOV);
          // Commit half straight away, so spend and reservations are both in play.
          if (i % 2 === 0) await budget.commit(n.key(i), 1, NOV);
          return 'granted';
        } catch (error) {
          if (error instanceof BudgetExceededError) return 'refused';
          throw error;
        }
      }));
      running = false;
      await watcher;
      expect(outcomes.filter((o) => o === 'granted')).toHaveLength(50);
      expect(outcomes.filter((o) => o === 'refused')).toHaveLength(150);
      const [user, org] = await budget.status({ user: n.user }, NOV);
      expect(user.spent + user.reserved).toBe(50);
      expect(user.remaining).toBe(0);
      expect(org.entity).toBe('org');
      expect(seen.length).toBeGreaterThan(0);
      expect(Math.max(...seen)).toBeLessThanOrEqual(50);
    });

    it('holds a limit across workers, each with its own pool and batches, and keeps totals equal to the reservations', async () => {
      const n = budgetNames();
      const budgets = budgetsConfig({ teams: { [n.team]: 50 } });
      const workers = [db().newPool(4), db().newPool(4), db().newPool(4)].map((pool) => new BudgetLedger(pool, budgets));
      const outcomes = await Promise.all(Array.from({ length: 150 }, async (_, i) => {
        const worker = workers[i % workers.length];
        const key = n.key(i);
        try {
          await worker.reserve(key, { user: `${n.user}-${i % 7}`, team: n.team, org: 'org' }, 1, NOV);
        } catch (error) {
          if (error instanceof BudgetExceededError) return 'refused';
          throw error;
        }
        // Settled by another worker, as when Temporal runs the next activity elsewhere.
        const settler = workers[(i + 1) % workers.length];
        if (i % 3 === 0) await settler.release(key, NOV);
        else await settler.commit(key, i % 3 === 1 ? 1 : 0.5, NOV);
        return 'granted';
      }));
      const granted = outcomes.filter((o) => o === 'granted').length;
      expect(granted).toBeGreaterThanOrEqual(50);
      const [team] = await ledger({}).status({ team: n.team }, NOV);
      expect(team.spent + team.reserved).toBeLessThanOrEqual(50);
      const { rows: [sums] } = await db().pool.query<{ spent: string; reserved: string }>(
        `SELECT COALESCE(SUM(actual_micros) FILTER (WHERE state = 'committed'), 0) AS spent,
                COALESCE(SUM(estimated_micros) FILTER (WHERE state = 'reserved'), 0) AS reserved
           FROM budget_reservations WHERE team_entity = $1`, [n.team]);
      expect([team.spent, team.reserved]).toEqual([Number(sums.spent) / 1e6, Number(sums.reserved) / 1e6]);
    });

    it('holds a shared team limit across users reserving at once', async () => {
      const n = budgetNames();
      const budget = ledger({ teams: { [n.team]: 30 }, users: Object.fromEntries(Array.from({ length: 10 }, (_, u) => [`${n.user}-${u}`, 5])) });
      const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) =>
        budget.reserve(n.key(i), { user: `${n.user}-${i % 10}`, team: n.team, org: 'org' }, 1, NOV)
          .then(() => `${n.user}-${i % 10}`, (error) => {
            if (!(error instanceof BudgetExceededError)) throw error;
            return null;
          })));
      const granted = outcomes.filter((o): o is string => o !== null);
      expect(granted).toHaveLength(30);
      const perUser = new Map<string, number>();
      for (const user of granted) perUser.set(user, (perUser.get(user) ?? 0) + 1);
      expect(Math.max(...perUser.values())).toBeLessThanOrEqual(5);
      const [team] = await budget.status({ team: n.team }, NOV);
      expect(team).toMatchObject({ level: 'team', reserved: 30, remaining: 0 });
    });
  });

  describe("the seed's example", () => {
    it('reserves 2.50, commits 2.35 and shows exact amounts at every level', async () => {
      const n = budgetNames();
      const user = `user-123-${n.user}`;
      const team = `team-platform-${n.team}`;
      const budget = ledger({ users: { [user]: 100 }, teams: { [team]: 1000 }, org: 10_000 });
      const entities: BudgetEntities = { user, team, org: 'org' };
      const orgBefore = byLevel(await budget.status({}, NOV)).org;

      const reservation = await budget.reserve(n.key(1), entities, 2.5, NOV);
      expect(reservation).toMatchObject({ state: 'reserved', estimated: 2.5, actual: null, period: '2025-11', created: true });
      let levels = byLevel(await budget.status({ user, team }, NOV));
      expect(levels.user).toMatchObject({ spent: 0, reserved: 2.5, limit: 100, remaining: 97.5, period: '2025-11' });
      expect(levels.team).toMatchObject({ spent: 0, reserved: 2.5, limit: 1000, remaining: 997.5 });

      const committed = await budget.commit(n.key(1), 2.35, NOV);
      expect(committed.reservation).toMatchObject({ state: 'committed', estimated: 2.5, actual: 2.35 });
      levels = byLevel(await budget.status({ user, team }, NOV));
      expect(levels.user).toMatchObject({ level: 'user', entity: user, spent: 2.35, reserved: 0, limit: 100, remaining: 97.65, percent: 2.35 });
      expect(levels.team).toMatchObject({ spent: 2.35, reserved: 0, remaining: 997.65 });
      expect(levels.org.limit).toBe(10_000);
      // The org is shared with other tests in this file, so compare the change.
      expect(Math.round((levels.org.spent - orgBefore.spent) * 1e6)).toBe(2_350_000);
      expect(byLevel(committed.levels).user).toMatchObject({ spent: 2.35, reserved: 0 });
    });

    it('adds many small costs without drift', async () => {
      const n = budgetNames();
      const budget = ledger({ users: { [n.user]: 100 } });
      for (let i = 0; i < 30; i++) {
        await budget.reserve(n.key(i), { user: n.user, org: 'org' }, 0.1, NOV);
        await budget.commit(n.key(i), 0.1, NOV);
      }
      const [user] = await budget.status({ user: n.user }, NOV);
      expect(user.spent).toBe(3);
      expect(user.remaining).toBe(97);
    });
  });

  describe('idempotency by key', () => {
    it('returns the existing reservation for a repeated reserve, holding budget once', async () => {
      const n = budgetNames();
      const budget = ledger({ users: { [n.user]: 10 } });
      const entities: BudgetEntities = { user: n.user, org: 'org' };
      const first = await budget.reserve(n.key(1), entities, 4, NOV);
      const again = await budget.reserve(n.key(1), entities, 4, NOV);
      expect(first.created).toBe(true);
      expect(again).toMatchObject({ key: n.key(1), created: false, state: 'reserved', estimated: 4 });
      const [user] = await budget.status({ user: n.user }, NOV);
      expect(user.reserved).toBe(4);
    });

    it('reserves once when the same key arrives from many workers at once', async () => {
      const n = budgetNames();
      const budget = ledger({ users: { [n.user]: 10 } });
      const results = await Promise.all(Array.from({ length: 20 }, () => budget.reserve(n.key(1), { user: n.user, org: 'org' }, 3, NOV)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect((await budget.status({ user: n.user }, NOV))[0].reserved).toBe(3);
      expect((await budget.entries(n.key(1))).map((e) => e.kind)).toEqual(['reserve']);
    });

    it('counts a commit retried after it already wrote exactly once', async () => {
      const n = budgetNames();
      const budget = ledger({ users: { [n.user]: 10 } });
      await budget.reserve(n.key(1), { user: n.user, org: 'org' }, 2.5, NOV);
      // The activity's first attempt commits, then its result is lost and Temporal retries it
      // (here, several retries race each other too).
      await budget.commit(n.key(1), 2.35, NOV);
      const retries = await Promise.all(Array.from({ length: 5 }, () => budget.commit(n.key(1), 2.35, NOV)));
      retries.forEach((retry) => expect(retry.reservation).toMatchObject({ state: 'committed', actual: 2.35 }));
      expect((await budget.entries(n.key(1))).map((e) => [e.kind, e.amount])).toEqual([['reserve', 2.5], ['commit', 2.35]]);
      expect((await budget.status({ user: n.user }, NOV))[0]).toMatchObject({ spent: 2.35, reserved: 0 });
    });

    it('keeps the first commit when a retry names another amount', async () => {
      const n = budgetNames();
      const budget = ledger({});
      await budget.reserve(n.key(1), { user: n.user, org: 'org' }, 2, NOV);
      await budget.commit(n.key(1), 1.5, NOV);
      const retry = await budget.commit(n.key(1), 1.9, NOV);
      expect(retry.reservation.actual).toBe(1.5);
      expect((await budget.status({ user: n.user }, NOV))[0].spent).toBe(1.5);
    });

    it('makes release after commit a no-op and refuses commit after release', async () => {
      const n = budgetNames();
      const budget = ledger({ users: { [n.user]: 10 } });
      const entities: BudgetEntities = { user: n.user, org: 'org' };
      await budget.reserve(n.key(1), entities, 3, NOV);
      await budget.commit(n.key(1), 3, NOV);
      expect(await budget.release(n.key(1), NOV)).toMatchObject({ state: 'committed', actual: 3 });
      expect((await budget.status({ user: n.user }, NOV))[0]).toMatchObject({ spent: 3, reserved: 0 });

      await budget.reserve(n.key(2), entities, 4, NOV);
      await budget.release(n.key(2), NOV);
      await budget.release(n.key(2), NOV);
      const error = await rejection(budget.commit(n.key(2), 4, NOV));
      expect(error).toBeInstanceOf(BudgetReservationStateError);
      expect(error).toMatchObject({ key: n.key(2), state: 'released', operation: 'commit' });
      expect((error as Error).message).toBe(`budget reservation ${n.key(2)} was released: cannot commit it`);
      expect((await budget.entries(n.key(2))).map((e) => e.kind)).toEqual(['reserve', 'release']);
      expect((await budget.status({ user: n.user }, NOV))[0]).toMatchObject({ spent: 3, reserved: 0 });
    });

    it('refuses to commit a key never reserved', async () => {
      const n = budgetNames();
      await expect(ledger({}).commit(n.key('ghost'), 1, NOV)).rejects.toBeInstanceOf(BudgetReservationNotFoundError);
    });

    it('leaves a tombstone when releasing a key never reserved, so a late reserve holds nothing', async () => {
      const n = budgetNames();
      const budget = ledger({ users: { [n.user]: 10 } });
      expect(await budget.release(n.key(1), NOV)).toMatchObject({ state: 'released', entities: null, estimated: 0 });
      const late = await budget.reserve(n.key(1), { user: n.user, org: 'org' }, 5, NOV);
      expect(late).toMatchObject({ created: false, state: 'released' });
      expect((await budget.status({ user: n.user }, NOV))[0].reserved).toBe(0);
    });

    it('adjusts a committed amount, idempotently, and only once committed', async () => {
      const n = budgetNames();
      const budget = ledger({ users: { [n.user]: 10 } });
      await budget.reserve(n.key(1), { user: n.user, org: 'org' }, 2.5, NOV);
      await expect(budget.adjust(n.key(1), 2, { actor: 'alice', now: NOV })).rejects.toThrow(/not committed yet/);
      await budget.commit(n.key(1), 2.35, NOV);
      const adjusted = await budget.adjust(n.key(1), 2.4, { actor: 'alice', now: NOV });
      expect(adjusted.reservation.actual).toBe(2.4);
      await budget.adjust(n.key(1), 2.4, { actor: 'alice', now: NOV });
      await budget.adjust(n.key(1), 2.1, { actor: 'alice', now: NOV });
      expect((await budget.status({ user: n.user }, NOV))[0].spent).toBe(2.1);
      expect((await budget.entries(n.key(1))).map((e) => [e.kind, e.amount])).toEqual([
        ['reserve', 2.5], ['commit', 2.35], ['adjust', 0.05], ['adjust', -0.3],
      ]);
      await expect(budget.adjust(n.key('ghost'), 1, { actor: 'alice', now: NOV })).rejects.toBeInstanceOf(BudgetReservationNotFoundError);
    });
  });

  describe('limits', () => {
    it('refuses with a typed error naming the level, and holds nothing', async () => {
      const n = budgetNames();
      const budget = ledger({ users: { [n.user]: 100 }, teams: { [n.team]: 1000 } });
      const entities: BudgetEntities = { user: n.user, team: n.team, org: 'org' };
      // Fill the team with another user's spend, leaving 0.40.
      await budget.reserve(n.key('big'), { user: `${n.user}-other`, team: n.team, org: 'org' }, 999.6, NOV);
      const error = await rejection(budget.reserve(n.key(1), entities, 2.5, NOV));
      expect(error).toBeInstanceOf(BudgetExceededError);
      expect(error).toMatchObject({ name: 'BudgetExceededError', level: 'team', entity: n.team, limit: 1000, spent: 0, reserved: 999.6, remaining: 0.4, requested: 2.5, period: '2025-11' });
      expect((error as Error).message).toBe(`team ${n.team} budget exceeded: 0.40 left of 1000.00 this month, 2.50 requested`);
      expect(await budget.get(n.key(1))).toBeNull();
      expect((await budget.status({ user: n.user }, NOV))[0].reserved).toBe(0);
      // What exactly fits is granted.
      await expect(budget.reserve(n.key(2), entities, 0.4, NOV)).resolves.toMatchObject({ created: true });
    });

    it('tracks an entity with no limit without refusing it', async () => {
      const n = budgetNames();
      const budget = ledger({});
      await budget.reserve(n.key(1), { user: n.user, team: n.team, org: 'org' }, 1_000_000, NOV);
      const levels = byLevel(await budget.status({ user: n.user, team: n.team }, NOV));
      expect(levels.user).toMatchObject({ limit: null, remaining: null, percent: null, reserved: 1_000_000 });
      expect(levels.team).toMatchObject({ limit: null, reserved: 1_000_000 });
    });

    it('lets a limit set in SQL override the config, be lifted, and be cleared', async () => {
      const n = budgetNames();
      const budget = ledger({ teams: { [n.team]: 1000 } });
      const entities: BudgetEntities = { user: n.user, team: n.team, org: 'org' };
      await budget.setLimit('team', n.team, 5, { actor: 'carol' });
      await expect(budget.reserve(n.key(1), entities, 6, NOV)).rejects.toMatchObject({ level: 'team', limit: 5 });
      await budget.setLimit('team', n.team, null, { actor: 'carol' });
      await budget.reserve(n.key(2), entities, 2000, NOV);
      expect(byLevel(await budget.status({ team: n.team }, NOV)).team.limit).toBeNull();
      expect(await budget.clearLimit('team', n.team, { actor: 'carol' })).toBe(true);
      expect(byLevel(await budget.status({ team: n.team }, NOV)).team).toMatchObject({ limit: 1000, remaining: 0 });
      await expect(budget.setLimit('galaxy' as 'team', 'x', 1, { actor: 'carol' })).rejects.toThrow(/budget level/);
    });
  });

  describe('periods', () => {
    it('starts a new month at 00:00 UTC, keeping spend in the month it was reserved in', async () => {
      const n = budgetNames();
      const budget = ledger({ users: { [n.user]: 10 } });
      const entities: BudgetEntities = { user: n.user, org: 'org' };
      const endOfJanuary = new Date('2026-01-31T23:59:59.999Z');
      const february = new Date('2026-02-01T00:00:00.000Z');
      await budget.reserve(n.key(1), entities, 10, endOfJanuary);
      await expect(budget.reserve(n.key(2), entities, 1, endOfJanuary)).rejects.toBeInstanceOf(BudgetExceededError);
      // The operation finishes in February; its cost belongs to January, when it was reserved.
      const committed = await budget.commit(n.key(1), 9, february);
      expect(committed.reservation.period).toBe('2026-01');
      expect((await budget.status({ user: n.user }, endOfJanuary))[0]).toMatchObject({ period: '2026-01', spent: 9, reserved: 0 });
      expect((await budget.status({ user: n.user }, february))[0]).toMatchObject({ period: '2026-02', spent: 0, reserved: 0, remaining: 10 });
      await expect(budget.reserve(n.key(3), entities, 10, february)).resolves.toMatchObject({ period: '2026-02' });
    });

    it('follows the configured period', async () => {
      const n = budgetNames();
      const budget = ledger({ period: 'day', users: { [n.user]: 1 } });
      await budget.reserve(n.key(1), { user: n.user, org: 'org' }, 1, new Date('2025-11-20T23:00:00Z'));
      await expect(budget.reserve(n.key(2), { user: n.user, org: 'org' }, 1, new Date('2025-11-20T23:30:00Z')))
        .rejects.toThrow(`user ${n.user} budget exceeded: 0.00 left of 1.00 today, 1.00 requested`);
      await expect(budget.reserve(n.key(3), { user: n.user, org: 'org' }, 1, new Date('2025-11-21T00:00:00Z')))
        .resolves.toMatchObject({ period: '2025-11-21' });
    });
  });

  describe('policy context', () => {
    it('counts reservations as well as spend', async () => {
      const n = budgetNames();
      const budget = ledger({ users: { [n.user]: 10 }, highCostThreshold: 5 });
      const entities: BudgetEntities = { user: n.user, org: 'org' };
      expect(await budget.budgetContext(entities, 6, NOV)).toMatchObject({
        user_budget_exceeded: false, monthly_budget_exceeded: false, estimated_cost_high: true, user_limit: 10, user_spent: 0,
      });
      await budget.reserve(n.key(1), entities, 6, NOV);
      expect(await budget.budgetContext(entities, 4, NOV)).toMatchObject({ user_budget_exceeded: false, user_reserved: 6, user_remaining: 4 });
      expect(await budget.budgetContext(entities, 4.01, NOV)).toMatchObject({ user_budget_exceeded: true, monthly_budget_exceeded: true });
    });
  });

  describe('reaper', () => {
    it("releases only stale reservations of closed workflows", async () => {
      const n = budgetNames();
      const budget = ledger({ users: { [n.user]: 100 } });
      const entities: BudgetEntities = { user: n.user, org: 'org' };
      const old = new Date('2025-11-20T08:00:00Z');
      const now = new Date('2025-11-20T12:00:00Z');
      const oneHour = 3_600_000;
      await budget.reserve(n.key('old-closed'), entities, 1, old);
      await budget.reserve(n.key('old-running'), entities, 2, old);
      await budget.reserve(n.key('old-unknown'), entities, 4, old);
      await budget.reserve(n.key('old-committed'), entities, 8, old);
      await budget.commit(n.key('old-committed'), 8, old);
      await budget.reserve(n.key('new-closed'), entities, 16, new Date(now.getTime() - 60_000));
      const asked: string[] = [];
      const result = await budget.releaseStale(async (key) => {
        asked.push(key);
        if (key === n.key('old-unknown')) throw new Error('Temporal unreachable');
        return key.endsWith('-closed');
      }, oneHour, now);
      expect(result.released).toEqual([n.key('old-closed')]);
      // Only this test's open stale reservations, plus any from other tests, were looked at.
      expect(asked).toEqual(expect.arrayContaining([n.key('old-closed'), n.key('old-running'), n.key('old-unknown')]));
      expect(asked).not.toContain(n.key('new-closed'));
      expect(asked).not.toContain(n.key('old-committed'));
      expect((await budget.get(n.key('old-running')))!.state).toBe('reserved');
      expect((await budget.get(n.key('new-closed')))!.state).toBe('reserved');
      expect((await budget.status({ user: n.user }, now))[0]).toMatchObject({ reserved: 22, spent: 8 });
    });
  });
});
