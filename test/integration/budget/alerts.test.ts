import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import {
  deliverBudgetAlerts, formatBudgetAlert, recordBudgetAlerts, undeliveredBudgetAlerts, type BudgetAlert, type BudgetAlertSink,
} from '../../../src/budget/alerts.js';
import type { BudgetEntities } from '../../../src/budget/types.js';
import { describeEachDatabase } from '../../support/databases.js';
import { ledgerOn, type BudgetsInput } from '../../support/budgetFixtures.js';

const THRESHOLDS = [0.8, 0.9, 0.95];
const NOV = new Date('2025-11-20T12:00:00Z');

describeEachDatabase('budget alerts', (db) => {
  const ledger = (budgets: BudgetsInput) => ledgerOn(db().pool, budgets);
  const fresh = () => {
    const id = randomUUID().slice(0, 8);
    return { team: `team-${id}`, user: (u: number) => `user-${id}-${u}`, key: (k: number | string) => `wf-${id}-${k}` };
  };

  it('fires each threshold exactly once even with 20 committers racing', async () => {
    const n = fresh();
    const budget = ledger({ teams: { [n.team]: 100 } });
    const entities = (i: number): BudgetEntities => ({ user: n.user(i), team: n.team, org: 'org' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => budget.reserve(n.key(i), entities(i), 5, NOV)));
    // Each worker commits its operation, then records alerts from what its commit returned;
    // some retry the whole activity.
    const fired = (await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const attempts = i % 4 === 0 ? 2 : 1;
      const alerts: BudgetAlert[] = [];
      for (let a = 0; a < attempts; a++) {
        const { levels } = await budget.commit(n.key(i), 5, NOV);
        alerts.push(...await recordBudgetAlerts(db().pool, levels, THRESHOLDS, NOV));
      }
      return alerts;
    }))).flat();
    const teamAlerts = fired.filter((alert) => alert.level === 'team');
    expect(teamAlerts.map((alert) => alert.threshold).sort()).toEqual([0.8, 0.9, 0.95]);
    expect(fired.filter((alert) => alert.level === 'user')).toEqual([]);
    for (const alert of teamAlerts) {
      expect(alert).toMatchObject({ entity: n.team, period: '2025-11', periodKind: 'month', limit: 100 });
      // Recorded by a committer that saw spend at or past the threshold.
      expect(alert.spent / alert.limit).toBeGreaterThanOrEqual(alert.threshold);
    }
    // Later checks find nothing new.
    const [team] = await budget.status({ team: n.team }, NOV);
    expect(team.spent).toBe(100);
    expect(await recordBudgetAlerts(db().pool, [team], THRESHOLDS, NOV)).toEqual([]);
  });

  it('fires a threshold when first crossed, the higher ones later, and again in a new period', async () => {
    const n = fresh();
    const budget = ledger({ teams: { [n.team]: 1000 } });
    const spend = async (key: string, amount: number, now: Date) => {
      await budget.reserve(key, { user: n.user(0), team: n.team, org: 'org' }, amount, now);
      const { levels } = await budget.commit(key, amount, now);
      return recordBudgetAlerts(db().pool, levels.filter((level) => level.level === 'team'), THRESHOLDS, now);
    };
    expect(await spend(n.key(1), 799.99, NOV)).toEqual([]);
    const first = await spend(n.key(2), 0.01, NOV);
    expect(first.map((alert) => alert.threshold)).toEqual([0.8]);
    expect(formatBudgetAlert(first[0])).toBe(`Budget Alert: Team ${n.team} has used 80.0% of monthly budget ($800.00 / $1000.00)`);
    expect(await spend(n.key(3), 1, NOV)).toEqual([]);
    const jump = await spend(n.key(4), 160, NOV);
    expect(jump.map((alert) => alert.threshold)).toEqual([0.9, 0.95]);
    expect(formatBudgetAlert(jump[1])).toBe(`Budget Alert: Team ${n.team} has used 96.1% of monthly budget ($961.00 / $1000.00)`);
    const december = await spend(n.key(5), 850, new Date('2025-12-01T00:00:00Z'));
    expect(december.map((alert) => [alert.period, alert.threshold])).toEqual([['2025-12', 0.8]]);
  });

  it('marks delivered alerts and leaves failed sends for a later retry', async () => {
    const n = fresh();
    const budget = ledger({ users: { [n.user(1)]: 10 } });
    await budget.reserve(n.key(1), { user: n.user(1), org: 'org' }, 9.5, NOV);
    const { levels } = await budget.commit(n.key(1), 9.5, NOV);
    const alerts = await recordBudgetAlerts(db().pool, levels, THRESHOLDS, NOV);
    expect(alerts.map((alert) => alert.threshold)).toEqual([0.8, 0.9, 0.95]);
    const sent: string[] = [];
    const flaky: BudgetAlertSink = {
      async sendBudgetAlert(alert) {
        if (alert.threshold === 0.9) throw new Error('Slack is down');
        sent.push(formatBudgetAlert(alert));
      },
    };
    expect(await deliverBudgetAlerts(db().pool, flaky, alerts)).toBe(2);
    expect(sent).toEqual([
      `Budget Alert: User ${n.user(1)} has used 95.0% of monthly budget ($9.50 / $10.00)`,
      `Budget Alert: User ${n.user(1)} has used 95.0% of monthly budget ($9.50 / $10.00)`,
    ]);
    const pending = (await undeliveredBudgetAlerts(db().pool, 0, new Date(NOV.getTime() + 1000)))
      .filter((alert) => alert.entity === n.user(1));
    expect(pending.map((alert) => alert.threshold)).toEqual([0.9]);
  });
});
