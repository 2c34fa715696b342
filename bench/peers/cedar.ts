/**
 * The same policy set in Cedar, evaluated by @cedar-policy/cedar-wasm's fastest documented path:
 * `preparsePolicySet` once, then `statefulIsAuthorized` per request.
 *
 * Mapping (bench/README.md lists what does not carry over):
 * - subject `role:R` -> `principal in Role::"R"` (the user entity has its roles as parents);
 *   identifier `U` -> `principal == User::"U"`; several subjects -> `principal in [..]` in a `when`.
 * - action literal -> `Action::"data:read"`; action glob `data:*` -> action group `Action::"data:*"`,
 *   whose members are the actions the glob matches (the request's action entity lists its groups).
 * - resource literal -> `resource == Resource::"..."`; glob -> `resource.path like "..."`.
 * - constraint on context key k -> `context has k && context.k == v` / `> n` (the `has` guard makes a
 *   missing value fail the test instead of raising an evaluation error, as in Tollgate).
 * - deny -> `forbid`, allow -> `permit`; Cedar's forbid-overrides-permit and default deny equal
 *   Tollgate's first match because the workload ranks every deny before every allow.
 */
import { preparsePolicySet, statefulIsAuthorized, type AuthorizationAnswer, type CedarValueJson, type EntityJson, type StatefulAuthorizationCall } from '@cedar-policy/cedar-wasm/nodejs';
import type { PolicyConstraint, PolicyRequest, PolicyRule, PolicySet } from '../../src/index.js';
import type { DecisionEngine, RequestList } from './engine.js';
import { isLiteral, plainContextKey, starPatternParts, starPatternTest, UntranslatableRuleError } from './patterns.js';

const quote = (text: string) => `"${text.replace(/[\\"]/g, '\\$&')}"`;
const entity = (type: string, id: string) => `${type}::${quote(id)}`;
const likePattern = (parts: readonly string[]) => `"${parts.map((p) => p.replace(/[\\"*]/g, '\\$&')).join('*')}"`;

export interface CedarTranslation {
  /** Policy id (the Tollgate rule name) -> Cedar policy text. */
  policies: Record<string, string>;
  /** Action globs that became action groups, with their matchers. */
  actionGroups: ReadonlyArray<{ id: string; test: (action: string) => boolean }>;
}

function translateSubjects(rule: PolicyRule): { scope: string; when: string | null } {
  const subjects = rule.subjects ?? [];
  if (subjects.length === 0 || subjects.includes('*')) return { scope: 'principal', when: null };
  const uids = subjects.map((subject) => {
    const isRole = subject.startsWith('role:');
    const name = isRole ? subject.slice(5) : subject;
    if (subject.startsWith('tag:')) throw new UntranslatableRuleError('cedar', rule.name, `subject "${subject}": tags are not part of this translation`);
    if (!isLiteral(name)) throw new UntranslatableRuleError('cedar', rule.name, `subject "${subject}": Cedar cannot glob over entity ids`);
    return { isRole, uid: entity(isRole ? 'Role' : 'User', name) };
  });
  if (uids.length === 1) return { scope: `principal ${uids[0].isRole ? 'in' : '=='} ${uids[0].uid}`, when: null };
  return { scope: 'principal', when: `principal in [${uids.map((u) => u.uid).join(', ')}]` };
}

function translateActions(rule: PolicyRule, groups: Map<string, (action: string) => boolean>): string {
  const actions = rule.actions ?? [];
  if (actions.length === 0 || actions.includes('*')) return 'action';
  const uids = actions.map((pattern) => {
    if (isLiteral(pattern)) return entity('Action', pattern);
    const parts = starPatternParts(pattern);
    if (!parts) throw new UntranslatableRuleError('cedar', rule.name, `action "${pattern}" uses ?, [...] or \\`);
    if (!groups.has(pattern)) groups.set(pattern, starPatternTest(parts));
    return entity('Action', pattern);
  });
  if (uids.length === 1) return `action ${isLiteral(actions[0]) ? '==' : 'in'} ${uids[0]}`;
  return `action in [${uids.join(', ')}]`;
}

function translateResources(rule: PolicyRule): { scope: string; when: string | null } {
  const resources = rule.resources ?? [];
  if (resources.length === 0 || resources.includes('*')) return { scope: 'resource', when: null };
  if (resources.length === 1 && isLiteral(resources[0])) return { scope: `resource == ${entity('Resource', resources[0])}`, when: null };
  const literals = resources.filter(isLiteral).map((r) => entity('Resource', r));
  const tests = literals.length ? [literals.length === 1 ? `resource == ${literals[0]}` : `resource in [${literals.join(', ')}]`] : [];
  for (const pattern of resources.filter((r) => !isLiteral(r))) {
    const parts = starPatternParts(pattern);
    if (!parts) throw new UntranslatableRuleError('cedar', rule.name, `resource "${pattern}" uses ?, [...] or \\`);
    tests.push(`resource.path like ${likePattern(parts)}`);
  }
  return { scope: 'resource', when: tests.join(' || ') };
}

function cedarValue(rule: PolicyRule, value: unknown): string {
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new UntranslatableRuleError('cedar', rule.name, `constraint value ${JSON.stringify(value)}: Cedar has booleans, strings and 64-bit integers only`);
}

function translateConstraint(rule: PolicyRule, constraint: PolicyConstraint): string {
  const { key } = constraint;
  if (!plainContextKey(key)) throw new UntranslatableRuleError('cedar', rule.name, `constraint key "${key}": only top-level context keys are translated`);
  const ident = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key);
  const has = `context has ${ident ? key : quote(key)}`;
  const value = ident ? `context.${key}` : `context[${quote(key)}]`;
  const tests: string[] = [];
  for (const [test, expected] of Object.entries(constraint)) {
    if (test === 'key') continue;
    if (test === 'equals') tests.push(`(${has} && ${value} == ${cedarValue(rule, expected)})`);
    else if (test === 'notEquals') tests.push(`(!(${has}) || ${value} != ${cedarValue(rule, expected)})`);
    else if (test === 'exists') tests.push(expected ? `(${has})` : `!(${has})`);
    else if (test === 'gt' || test === 'gte' || test === 'lt' || test === 'lte') {
      const op = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[test];
      if (!Number.isSafeInteger(expected)) throw new UntranslatableRuleError('cedar', rule.name, `${test} ${String(expected)}: Cedar compares 64-bit integers only`);
      tests.push(`(${has} && ${value} ${op} ${String(expected)})`);
    } else {
      throw new UntranslatableRuleError('cedar', rule.name, `constraint test "${test}" is not part of this translation`);
    }
  }
  return tests.join(' && ');
}

/** Translate every rule to one Cedar policy; throws UntranslatableRuleError rather than approximate. */
export function translateToCedar(set: PolicySet): CedarTranslation {
  if (set.defaultEffect !== 'deny') throw new UntranslatableRuleError('cedar', '(set)', 'Cedar always denies by default');
  const groups = new Map<string, (action: string) => boolean>();
  const policies: Record<string, string> = {};
  for (const rule of set.rules) {
    if (rule.effect !== 'allow' && rule.effect !== 'deny') throw new UntranslatableRuleError('cedar', rule.name, `effect ${rule.effect}: Cedar has permit and forbid only`);
    const subjects = translateSubjects(rule);
    const resources = translateResources(rule);
    const when = [subjects.when, resources.when, ...(rule.constraints ?? []).map((c) => translateConstraint(rule, c))].filter((w): w is string => Boolean(w));
    const head = `${rule.effect === 'deny' ? 'forbid' : 'permit'} (${subjects.scope}, ${translateActions(rule, groups)}, ${resources.scope})`;
    policies[rule.name] = `${head}${when.map((w) => ` when { ${w} }`).join('')};`;
  }
  return { policies, actionGroups: [...groups].map(([id, test]) => ({ id, test })) };
}

/** Build the Cedar request: principal with its roles as parents, action with its groups, resource with its path. */
export function cedarRequestBuilder(translation: CedarTranslation, policySetId: string): (request: PolicyRequest) => StatefulAuthorizationCall {
  const actionEntities = new Map<string, EntityJson>();
  const actionEntity = (action: string): EntityJson => {
    let found = actionEntities.get(action);
    if (!found) {
      const parents = translation.actionGroups.filter((g) => g.test(action)).map((g) => ({ type: 'Action', id: g.id }));
      actionEntities.set(action, (found = { uid: { type: 'Action', id: action }, attrs: {}, parents }));
    }
    return found;
  };
  return (request) => {
    const context: Record<string, CedarValueJson> = {};
    for (const [key, value] of Object.entries(request.context ?? {})) {
      if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error(`cedar: context.${key} = ${value} is not an integer`);
      context[key] = value as CedarValueJson;
    }
    const principal = { type: 'User', id: request.subject.identifier };
    const resource = { type: 'Resource', id: request.resource };
    return {
      principal,
      action: { type: 'Action', id: request.action },
      resource,
      context,
      preparsedPolicySetId: policySetId,
      entities: [
        { uid: principal, attrs: {}, parents: (request.subject.roles ?? []).map((role) => ({ type: 'Role', id: role })) },
        actionEntity(request.action),
        { uid: resource, attrs: { path: request.resource }, parents: [] },
      ],
    };
  };
}

let nextPolicySetId = 0;

export interface CedarEngine extends DecisionEngine {
  readonly translation: CedarTranslation;
  /** Evaluation errors Cedar reported (a policy that errs is skipped); expected to stay 0. */
  errorCount(): number;
}

export function cedarEngine(set: PolicySet, requests: RequestList): CedarEngine {
  const translation = translateToCedar(set);
  const id = `tollgate-bench-${nextPolicySetId++}`;
  const started = performance.now();
  const parsed = preparsePolicySet(id, { staticPolicies: translation.policies });
  const setupMs = performance.now() - started;
  if (parsed.type !== 'success') throw new Error(`cedar: policy set did not parse: ${parsed.errors.map((e) => e.message).join('; ')}`);
  const build = cedarRequestBuilder(translation, id);
  const calls = requests.map(build);
  const n = calls.length;
  let errors = 0;
  return {
    name: 'cedar-wasm',
    setupMs,
    policyUnits: Object.keys(translation.policies).length,
    requestCount: n,
    translation,
    errorCount: () => errors,
    decide(i) {
      const result: AuthorizationAnswer = statefulIsAuthorized(calls[i]);
      if (result.type !== 'success') throw new Error(`cedar: ${result.errors.map((e) => e.message).join('; ')}`);
      errors += result.response.diagnostics.errors.length;
      return { allowed: result.response.decision === 'allow', rules: result.response.diagnostics.reason };
    },
    runBatch(from, count) {
      let allowed = 0;
      let j = from % n;
      for (let k = 0; k < count; k++) {
        const result = statefulIsAuthorized(calls[j]);
        if (result.type === 'success' && result.response.decision === 'allow') allowed++;
        if (++j === n) j = 0;
      }
      return allowed;
    },
  };
}
