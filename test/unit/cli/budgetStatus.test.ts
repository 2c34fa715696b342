import { expect, it } from 'vitest';
import { formatBudgetStatus } from '../../../src/cli/budget.js';

it('prints amounts in currency units with a usage bar per level', () => {
  const text = formatBudgetStatus([
    { level: 'user', entity: 'user-123', limit: 100, spent: 2.35, reserved: 0.5, remaining: 97.15, percent: 2.35, period: '2026-11', periodKind: 'month' },
    { level: 'team', entity: 'team-platform', limit: null, spent: 12, reserved: 0, remaining: null, percent: null, period: '2026-11', periodKind: 'month' },
  ]);
  const [header, user, team] = text.split('\n');
  expect(header).toMatch(/^level\s+limit\s+spent\s+reserved\s+remaining\s+used \(2026-11\)$/);
  expect(user).toMatch(/^user user-123\s+100\.00\s+2\.35\s+0\.50\s+97\.15\s+\[\.{20}\] 2\.4%$/);
  expect(team).toMatch(/^team team-platform\s+-\s+12\.00\s+0\.00\s+-\s+\[\s+\] no limit$/);
});
