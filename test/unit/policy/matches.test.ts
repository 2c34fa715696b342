/**
 * Issue 10, "Bound `matches` patterns in policies the same way": a `matches` constraint is a glob
 * (the same linear-time matcher as actions and resources, so it cannot backtrack), its pattern is
 * bounded when the set is loaded, and one test reads a bounded value.
 */
import { describe, expect, it } from 'vitest';
import { parsePolicySet, PolicyEngine, PolicyValidationError, POLICY_LIMITS } from '../../../src/index.js';

const setWith = (matches: string) => ({
  name: 'm',
  rules: [
    { name: 'other', effect: 'deny', actions: ['x'] },
    { name: 'tickets', effect: 'allow', constraints: [{ key: 'ticket', matches }] },
  ],
});

describe('matches patterns are bounded when the set is loaded', () => {
  it('accepts a pattern at the limit', () => {
    expect(() => parsePolicySet(setWith(`T-${'?'.repeat(POLICY_LIMITS.matchesPatternLength - 2)}`))).not.toThrow();
  });

  it('refuses a longer one, naming the rule, the constraint key, the limit and a fix', () => {
    let thrown: unknown;
    try {
      parsePolicySet(setWith(`T-${'*a'.repeat(POLICY_LIMITS.matchesPatternLength)}`));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PolicyValidationError);
    expect((thrown as PolicyValidationError).issues).toEqual([{
      path: 'rules[1].constraints[0].matches',
      message: 'the pattern for "ticket" is 1026 characters, more than the 512 allowed; split it into several rules or test with anyOf',
    }]);
  });
});

describe('a matches test reads a bounded value', () => {
  const engine = new PolicyEngine(parsePolicySet(setWith('*a*a*a*a*a*a*a*b')));
  const request = (ticket: string) => ({ subject: { identifier: 'alice' }, action: 'read', resource: 'r', context: { ticket } });

  it('matches values up to the limit, adversarial ones included', () => {
    expect(engine.evaluate(request(`${'a'.repeat(POLICY_LIMITS.matchesValueLength - 1)}b`)).rule).toBe('tickets');
    expect(engine.evaluate(request('a'.repeat(POLICY_LIMITS.matchesValueLength))).rule).toBeNull();
  });

  it('a longer value does not match, as documented', () => {
    expect(engine.evaluate(request(`${'a'.repeat(POLICY_LIMITS.matchesValueLength)}b`)).rule).toBeNull();
  });
});
