import { describe, expect, it } from 'vitest';
import { budgetEntities } from '../../../src/budget/entities.js';
import { parseConfig } from '../../../src/config.js';
import { TollgateInputError } from '../../../src/errors.js';

const defaults = parseConfig({}, { env: {} }).budgets;

describe('budgetEntities', () => {
  it('charges the subject and its team_id attribute by default', () => {
    const request = { subject: { identifier: 'user-123', attributes: { team_id: 'team-platform' } }, action: 'a', resource: 'r' };
    expect(budgetEntities(request, defaults)).toEqual({ user: 'user-123', team: 'team-platform', org: 'org' });
  });

  it('leaves the team out when the request names none', () => {
    expect(budgetEntities({ subject: { identifier: 'u1' } }, defaults)).toEqual({ user: 'u1', org: 'org' });
    expect(budgetEntities({ subject: { identifier: 'u1', attributes: { team_id: '' } } }, defaults)).toEqual({ user: 'u1', org: 'org' });
  });

  it('follows configured paths, and a number names an entity too', () => {
    const budgets = { userKey: 'subject.tags.billing_user', teamKey: 'context.cost_center' };
    const request = { subject: { identifier: 'svc', tags: { billing_user: 'alice' } }, context: { cost_center: 4711 } };
    expect(budgetEntities(request, budgets)).toEqual({ user: 'alice', team: '4711', org: 'org' });
  });

  it('reads the request itself, so context cannot redirect the default charge', () => {
    const request = { subject: { identifier: 'mallory', attributes: { team_id: 't1' } }, context: { subject: { identifier: 'victim' } } };
    expect(budgetEntities(request, defaults).user).toBe('mallory');
  });

  it('fails clearly when no user can be found or a value is not a name', () => {
    expect(() => budgetEntities({ subject: { identifier: 'u' } }, { ...defaults, userKey: 'subject.attributes.payer' }))
      .toThrow(/budgets.userKey "subject.attributes.payer": the request has no value there/);
    expect(() => budgetEntities({ subject: { identifier: 'u', attributes: { team_id: { id: 1 } } } }, defaults))
      .toThrow(TollgateInputError);
  });
});
