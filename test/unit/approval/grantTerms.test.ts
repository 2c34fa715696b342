import { describe, expect, it } from 'vitest';
import { grantTerms } from '../../../src/approval/grantTerms.js';
import { approvalPlan } from '../../../src/approval/plan.js';

const metadata = { grantable: { maxTtl: '8h', maxUses: 10 } };
const defaults = { defaultTimeout: '1h' };

describe('grantTerms', () => {
  it('keeps a grant inside the resources of the rule that asked for approval', () => {
    const plan = approvalPlan('exports', metadata, defaults, ['dataset://reports/*']);
    expect(grantTerms({ ttl: '1h', scope: 'dataset://reports/2026-*' }, plan, 'exports', 'dataset://reports/2026-q1')).toMatchObject({ ok: true, terms: { scope: 'dataset://reports/2026-*', uses: 10 } });
    const wide = grantTerms({ ttl: '1h', scope: 'dataset://*' }, plan, 'exports', 'dataset://reports/2026-q1');
    expect(wide).toEqual({ ok: false, reason: 'grant scope dataset://* reaches past rule exports\'s resources (dataset://reports/*); narrow it to what the rule covers' });
  });

  it('lets any covering scope stand when the rule applies to every resource', () => {
    const plan = approvalPlan('everything', metadata, defaults);
    expect(grantTerms({ ttl: '1h', scope: '*' }, plan, 'everything', 'x://y')).toMatchObject({ ok: true });
  });

  it('refuses past the caps, a scope that misses the resource, and rules without an offer', () => {
    const plan = approvalPlan('exports', metadata, defaults, ['dataset://*']);
    expect(grantTerms({ ttl: '9h' }, plan, 'exports', 'dataset://a')).toMatchObject({ ok: false, reason: expect.stringContaining('maxTtl of 8h') });
    expect(grantTerms({ ttl: '1h', uses: 11 }, plan, 'exports', 'dataset://a')).toMatchObject({ ok: false, reason: expect.stringContaining('maxUses of 10') });
    expect(grantTerms({ ttl: '1h', scope: 'dataset://b*' }, plan, 'exports', 'dataset://a')).toMatchObject({ ok: false, reason: expect.stringContaining('does not cover') });
    expect(grantTerms({ ttl: '1h' }, approvalPlan('r', {}, defaults), 'r', 'dataset://a')).toMatchObject({ ok: false, reason: expect.stringContaining('does not offer') });
  });
});
