import { describe, expect, it } from 'vitest';
import { parsePolicySet, type PolicySet } from '../../../src/index.js';
import { generateWorkload } from '../../../bench/policyWorkload.js';
import { checkAgreement } from '../../../bench/peers/agreement.js';
import { casbinEngine, translateToCasbin } from '../../../bench/peers/casbin.js';
import { cedarEngine, translateToCedar } from '../../../bench/peers/cedar.js';
import type { DecisionEngine } from '../../../bench/peers/engine.js';
import { UntranslatableRuleError } from '../../../bench/peers/patterns.js';
import { tollgateEngine } from '../../../bench/peers/tollgate.js';

describe('policy bench: Cedar and casbin translations decide as Tollgate does', () => {
  it.each([
    { rules: 20, requests: 1_000 },
    { rules: 200, requests: 500 },
  ])('$rules rules, $requests requests: 100% agreement', async ({ rules, requests }) => {
    const workload = generateWorkload({ rules, requests });
    const set = parsePolicySet(workload.policy);
    const cedar = cedarEngine(set, workload.requests);
    const report = checkAgreement(tollgateEngine(set, workload.requests), [cedar, await casbinEngine(set, workload.directory, workload.requests)]);

    // Agreement only means something if the requests reach every outcome.
    expect(report.checked).toBe(requests);
    expect(report.decisions.allow).toBeGreaterThan(requests / 10);
    expect(report.decisions.denyByRule).toBeGreaterThan(requests / 10);
    expect(report.decisions.denyByDefault).toBeGreaterThan(requests / 10);
    for (const peer of report.peers) {
      expect(peer.disagreements, `${peer.engine} disagrees on ${JSON.stringify(workload.requests[peer.disagreements[0]])}`).toEqual([]);
      expect(peer.agreed).toBe(requests);
    }
    const cedarReport = report.peers.find((p) => p.engine === 'cedar-wasm')!;
    expect(cedarReport.rulesAgreed).toBe(requests);
    expect(cedar.errorCount()).toBe(0);
  }, 120_000);

  it('reports the requests a peer decides differently', () => {
    const workload = generateWorkload({ rules: 20, requests: 200 });
    const tollgate = tollgateEngine(parsePolicySet(workload.policy), workload.requests);
    const contrarian: DecisionEngine = {
      ...tollgate,
      name: 'contrarian',
      decide: (i) => ({ allowed: i === 7 ? !tollgate.decide(i).allowed : tollgate.decide(i).allowed }),
    };
    const [peer] = checkAgreement(tollgate, [contrarian]).peers;
    expect(peer.agreed).toBe(199);
    expect(peer.disagreements).toEqual([7]);
  });

  it('ranks every deny rule before every allow rule, the condition for first match = deny-overrides', () => {
    const { rules } = generateWorkload({ rules: 500, requests: 0 }).policy;
    const lastDeny = Math.max(...rules.filter((r) => r.effect === 'deny').map((r) => r.priority));
    const firstAllow = Math.min(...rules.filter((r) => r.effect === 'allow').map((r) => r.priority));
    expect(lastDeny).toBeLessThan(firstAllow);
  });

  it('generates the same workload from the same seed', () => {
    const a = generateWorkload({ rules: 100, requests: 300, seed: 7 });
    const b = generateWorkload({ rules: 100, requests: 300, seed: 7 });
    const c = generateWorkload({ rules: 100, requests: 300, seed: 8 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c.policy)).not.toBe(JSON.stringify(a.policy));
    expect(new Set(a.requests.map((r) => JSON.stringify(r))).size).toBe(300);
  });

  it.each([
    ['require_approval', { effect: 'require_approval', actions: ['data:read'] }],
    ['a ? glob', { effect: 'allow', resources: ['dataset://team?/x'] }],
    ['a subject glob', { effect: 'allow', subjects: ['role:team*-lead'] }],
    ['a tag subject', { effect: 'allow', subjects: ['tag:tenant_id=acme'] }],
    ['a dotted constraint key', { effect: 'allow', constraints: [{ key: 'subject.attributes.team', equals: 'a' }] }],
    ['a matches constraint', { effect: 'allow', constraints: [{ key: 'region', matches: 'eu-*' }] }],
  ])('refuses to approximate %s', (_label, rule) => {
    const set: PolicySet = parsePolicySet({ name: 't', rules: [{ name: 'r', ...rule }] });
    expect(() => translateToCedar(set)).toThrow(UntranslatableRuleError);
    expect(() => translateToCasbin(set, new Map())).toThrow(UntranslatableRuleError);
  });

  it('refuses a glob with * in the middle for casbin (keyMatch ignores what follows the *) but not for Cedar', () => {
    const set = parsePolicySet({ name: 't', rules: [{ name: 'r', effect: 'allow', resources: ['dataset://*/pii'] }] });
    expect(translateToCedar(set).policies.r).toContain('resource.path like "dataset://*/pii"');
    expect(() => translateToCasbin(set, new Map())).toThrow(/keyMatch only supports a trailing \*/);
  });
});
