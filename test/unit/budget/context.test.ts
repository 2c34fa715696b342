import { describe, expect, it } from 'vitest';
import { budgetContext, readsBudgetContext } from '../../../src/budget/context.js';
import { levelStatus } from '../../../src/budget/status.js';
import type { BudgetLevel, BudgetLevelStatus } from '../../../src/budget/types.js';
import { parsePolicySet, PolicyEngine } from '../../../src/policy/index.js';

const M = 1_000_000;

function level(levelName: BudgetLevel, entity: string, spent: number, reserved: number, limit: number | null): BudgetLevelStatus {
  return levelStatus({
    level: levelName, entity, spentMicros: Math.round(spent * M), reservedMicros: Math.round(reserved * M),
    limitMicros: limit === null ? null : Math.round(limit * M), period: '2025-11', periodKind: 'month',
  });
}

const budgets = { highCostThreshold: 5 };

describe('budgetContext', () => {
  it('reports the seed example: nothing exceeded, amounts and limits per level', () => {
    const context = budgetContext([
      level('user', 'user-123', 0, 0, 100), level('team', 'team-platform', 0, 0, 1000), level('org', 'org', 0, 0, 10000),
    ], 2.5, budgets);
    expect(context).toMatchObject({
      user_budget_exceeded: false, team_budget_exceeded: false, org_budget_exceeded: false, monthly_budget_exceeded: false,
      estimated_cost: 2.5, estimated_cost_high: false, user_limit: 100, team_limit: 1000, org_limit: 10000,
      user_spent: 0, user_remaining: 100, budget_period: '2025-11',
    });
  });

  it('is exceeded when spent plus reserved reaches the limit, as the seed', () => {
    const context = budgetContext([level('user', 'u', 60, 40, 100), level('org', 'org', 100, 0, null)], 0, budgets);
    expect(context.user_budget_exceeded).toBe(true);
    expect(context.monthly_budget_exceeded).toBe(true);
    expect(context.org_budget_exceeded).toBe(false);
  });

  it('counts reservations: spend alone under the limit is not enough', () => {
    expect(budgetContext([level('team', 't', 10, 0, 20), level('org', 'org', 0, 0, null)], 1, budgets).team_budget_exceeded).toBe(false);
    expect(budgetContext([level('team', 't', 10, 10, 20), level('org', 'org', 0, 0, null)], 1, budgets).team_budget_exceeded).toBe(true);
  });

  it('is exceeded when the estimate would not fit, and not when it exactly fits', () => {
    expect(budgetContext([level('user', 'u', 97.5, 0, 100), level('org', 'org', 0, 0, null)], 2.5, budgets).user_budget_exceeded).toBe(false);
    expect(budgetContext([level('user', 'u', 97.5, 0, 100), level('org', 'org', 0, 0, null)], 2.51, budgets).user_budget_exceeded).toBe(true);
  });

  it('never exceeds an unlimited or absent level', () => {
    const context = budgetContext([level('user', 'u', 1e6, 0, null), level('org', 'org', 1e6, 0, null)], 1e6, budgets);
    expect(context).toMatchObject({ user_budget_exceeded: false, team_budget_exceeded: false, org_budget_exceeded: false });
    expect(context.team_spent).toBeNull();
    expect(context.user_limit).toBeNull();
  });

  it('flags high cost strictly above the threshold', () => {
    const levels = [level('org', 'org', 0, 0, null)];
    expect(budgetContext(levels, 5, budgets).estimated_cost_high).toBe(false);
    expect(budgetContext(levels, 5.01, budgets).estimated_cost_high).toBe(true);
  });

  it("drives the seed's budget policy unchanged", () => {
    const seedRules = parsePolicySet({
      name: 'hierarchical_budgets',
      defaultEffect: 'allow',
      rules: [
        { name: 'org_budget_exceeded', effect: 'deny', actions: ['agent:model_invoke'], constraints: [{ key: 'org_budget_exceeded', equals: true }], priority: 1 },
        { name: 'team_budget_exceeded', effect: 'deny', actions: ['agent:model_invoke'], constraints: [{ key: 'team_budget_exceeded', equals: true }], priority: 2 },
        { name: 'user_budget_exceeded', effect: 'deny', actions: ['agent:model_invoke'], constraints: [{ key: 'user_budget_exceeded', equals: true }], priority: 3 },
        { name: 'high_cost_approval', effect: 'require_approval', actions: ['agent:model_invoke'], constraints: [{ key: 'estimated_cost_high', equals: true }], priority: 10 },
      ],
    });
    const engine = new PolicyEngine(seedRules);
    const decide = (levels: BudgetLevelStatus[], estimate: number) => engine.evaluate({
      subject: { identifier: 'user-123', attributes: { team_id: 'team-platform' } },
      action: 'agent:model_invoke', resource: 'model://gpt-4', context: budgetContext(levels, estimate, budgets),
    });
    const fresh = [level('user', 'user-123', 0, 0, 100), level('team', 'team-platform', 0, 0, 1000), level('org', 'org', 0, 0, 10000)];
    expect(decide(fresh, 2.5)).toMatchObject({ effect: 'allow', rule: null });
    expect(decide(fresh, 7)).toMatchObject({ effect: 'require_approval', rule: 'high_cost_approval' });
    const teamFull = [level('user', 'user-123', 0, 0, 100), level('team', 'team-platform', 999.6, 0, 1000), level('org', 'org', 999.6, 0, 10000)];
    expect(decide(teamFull, 2.5)).toMatchObject({ effect: 'deny', rule: 'team_budget_exceeded' });
  });
});

describe('readsBudgetContext', () => {
  it('is true only for sets whose constraints read a budget key', () => {
    const keysOf = (rules: unknown[]) => new PolicyEngine(parsePolicySet({ name: 's', rules })).compiled.contextKeys;
    expect(readsBudgetContext(keysOf([{ name: 'a', effect: 'deny', constraints: [{ key: 'user_budget_exceeded', equals: true }] }]))).toBe(true);
    expect(readsBudgetContext(keysOf([{ name: 'a', effect: 'deny', constraints: [{ key: 'estimated_cost_high', equals: true }] }]))).toBe(true);
    expect(readsBudgetContext(keysOf([{ name: 'a', effect: 'deny', constraints: [{ key: 'environment', equals: 'prod' }, { key: 'subject.attributes.team_spent', gt: 1 }] }]))).toBe(false);
    expect(readsBudgetContext(keysOf([{ name: 'a', effect: 'allow' }]))).toBe(false);
  });
});
