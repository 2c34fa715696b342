/**
 * The same policy set in casbin (node-casbin), evaluated with `enforceSync` on an enforcer built once.
 *
 * Model: RBAC with `g` for role membership, `keyMatch` for action and resource globs, deny-overrides
 * effect, and an ABAC condition per policy line evaluated with casbin's `eval(p.cond)`.
 * - A rule with several actions / resources / subjects becomes one `p` line per combination: under
 *   deny-overrides (any deny wins, else any allow) a disjunction of lines is the same rule.
 * - Empty lists become `*` (keyMatch's `*` matches anything; `p.sub == "*"` in the matcher).
 * - Subjects: `role:R` stays the role name `role:R`, granted by `g, <identifier>, role:R` lines built
 *   from the directory; a literal identifier matches itself through `g` (casbin's g(x, x) is true).
 * - Constraints become the condition `r.ctx.k == v` / `r.ctx.k > n` (a missing key reads undefined,
 *   which fails both, as in Tollgate); a rule without constraints gets the condition `true`.
 */
import { newEnforcer, newModelFromString, type Enforcer } from 'casbin';
import type { PolicyConstraint, PolicyRule, PolicySet } from '../../src/index.js';
import type { DecisionEngine, RequestList } from './engine.js';
import { isLiteral, plainContextKey, UntranslatableRuleError } from './patterns.js';

export const CASBIN_MODEL = `
[request_definition]
r = sub, act, obj, ctx

[policy_definition]
p = sub, act, obj, eft, cond

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = keyMatch(r.act, p.act) && keyMatch(r.obj, p.obj) && (p.sub == "*" || g(r.sub, p.sub)) && eval(p.cond)
`;

/** keyMatch reads everything after the first `*` as "anything", so only `prefix*` is exact. */
function keyMatchPattern(rule: PolicyRule, field: string, pattern: string): string {
  const star = pattern.indexOf('*');
  const exact = isLiteral(pattern) || (star === pattern.length - 1 && isLiteral(pattern.slice(0, star)));
  if (!exact) throw new UntranslatableRuleError('casbin', rule.name, `${field} "${pattern}": keyMatch only supports a trailing *`);
  return pattern;
}

function jsLiteral(rule: PolicyRule, value: unknown): string {
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return String(value);
  if (typeof value === 'string' && /^[\w:/.@-]*$/.test(value)) return `"${value}"`;
  throw new UntranslatableRuleError('casbin', rule.name, `constraint value ${JSON.stringify(value)} is not part of this translation`);
}

function conditionFor(rule: PolicyRule, constraint: PolicyConstraint): string {
  const { key } = constraint;
  if (!plainContextKey(key) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
    throw new UntranslatableRuleError('casbin', rule.name, `constraint key "${key}": only top-level identifier-like context keys are translated`);
  }
  const value = `r.ctx.${key}`;
  const tests: string[] = [];
  for (const [test, expected] of Object.entries(constraint)) {
    if (test === 'key') continue;
    // casbin's expressions compare with JavaScript's loose == and coercing >; the workload only sends
    // booleans and integers, for which they agree with Tollgate's deep equality and numeric checks.
    if (test === 'equals') tests.push(`${value} == ${jsLiteral(rule, expected)}`);
    else if (test === 'gt') tests.push(`${value} > ${jsLiteral(rule, expected)}`);
    else if (test === 'gte') tests.push(`${value} >= ${jsLiteral(rule, expected)}`);
    else if (test === 'lt') tests.push(`${value} < ${jsLiteral(rule, expected)}`);
    else if (test === 'lte') tests.push(`${value} <= ${jsLiteral(rule, expected)}`);
    else throw new UntranslatableRuleError('casbin', rule.name, `constraint test "${test}" is not part of this translation`);
  }
  return tests.join(' && ');
}

function subjectFor(rule: PolicyRule, subject: string): string {
  if (subject === '*') return '*';
  if (subject.startsWith('tag:')) throw new UntranslatableRuleError('casbin', rule.name, `subject "${subject}": tags are not part of this translation`);
  const name = subject.startsWith('role:') ? subject.slice(5) : subject;
  if (!isLiteral(name)) throw new UntranslatableRuleError('casbin', rule.name, `subject "${subject}": g() links names, it does not glob`);
  return subject;
}

const orAll = (list: readonly string[] | undefined): readonly string[] => (list && list.length ? list : ['*']);

export interface CasbinTranslation {
  /** `p` lines: [sub, act, obj, eft, cond], in the set's evaluation order. */
  policies: string[][];
  /** `g` lines: [identifier, role:R]. */
  groupings: string[][];
}

/** Translate the set and the directory into casbin lines; throws UntranslatableRuleError rather than approximate. */
export function translateToCasbin(set: PolicySet, directory: ReadonlyMap<string, readonly string[]>): CasbinTranslation {
  if (set.defaultEffect !== 'deny') throw new UntranslatableRuleError('casbin', '(set)', 'this model always denies by default');
  const ordered = set.rules.map((rule, i) => ({ rule, i })).sort((a, b) => a.rule.priority - b.rule.priority || a.i - b.i);
  const policies: string[][] = [];
  for (const { rule } of ordered) {
    if (rule.effect !== 'allow' && rule.effect !== 'deny') throw new UntranslatableRuleError('casbin', rule.name, `effect ${rule.effect}: the model knows allow and deny only`);
    const cond = (rule.constraints ?? []).map((c) => conditionFor(rule, c)).join(' && ') || 'true';
    for (const subject of orAll(rule.subjects)) {
      for (const action of orAll(rule.actions)) {
        for (const resource of orAll(rule.resources)) {
          policies.push([subjectFor(rule, subject), keyMatchPattern(rule, 'action', action), keyMatchPattern(rule, 'resource', resource), rule.effect, cond]);
        }
      }
    }
  }
  const groupings: string[][] = [];
  for (const [identifier, roles] of directory) for (const role of roles) groupings.push([identifier, `role:${role}`]);
  return { policies, groupings };
}

export interface CasbinEngine extends DecisionEngine {
  readonly enforcer: Enforcer;
  readonly translation: CasbinTranslation;
}

/**
 * Roles come from casbin's own `g` store, not from the request: the requests' `subject.roles` are
 * the directory's, so both see the same memberships.
 */
export async function casbinEngine(set: PolicySet, directory: ReadonlyMap<string, readonly string[]>, requests: RequestList): Promise<CasbinEngine> {
  const translation = translateToCasbin(set, directory);
  const started = performance.now();
  const enforcer = await newEnforcer(newModelFromString(CASBIN_MODEL));
  await enforcer.addPolicies(translation.policies);
  await enforcer.addGroupingPolicies(translation.groupings);
  const setupMs = performance.now() - started;
  const args = requests.map((r) => [r.subject.identifier, r.action, r.resource, r.context ?? {}] as const);
  const n = args.length;
  return {
    name: 'casbin',
    setupMs,
    policyUnits: translation.policies.length,
    requestCount: n,
    enforcer,
    translation,
    decide: (i) => ({ allowed: enforcer.enforceSync(...args[i]) }),
    runBatch(from, count) {
      let allowed = 0;
      let j = from % n;
      for (let k = 0; k < count; k++) {
        if (enforcer.enforceSync(...args[j])) allowed++;
        if (++j === n) j = 0;
      }
      return allowed;
    },
  };
}
