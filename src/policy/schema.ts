import { z } from 'zod';
import { didYouMean } from '../suggest.js';
import { compileGlob, GlobSyntaxError } from './glob.js';
import { PolicyValidationError, type PolicyIssue } from './errors.js';
import { POLICY_LIMITS } from './limits.js';
import { valueAtPath } from './context.js';
import { POLICY_EFFECTS, type PolicySet } from './types.js';

const CONSTRAINT_TESTS = ['equals', 'notEquals', 'anyOf', 'notAnyOf', 'exists', 'gt', 'gte', 'lt', 'lte', 'matches'] as const;
const RULE_KEYS = ['name', 'description', 'effect', 'actions', 'resources', 'subjects', 'constraints', 'priority', 'metadata'];
const SET_KEYS = ['name', 'description', 'defaultEffect', 'rules'];

const effect = z.enum(POLICY_EFFECTS as [string, ...string[]]);
const patternList = z.array(z.string());

const ConstraintSchema = z.object({
  key: z.string().min(1, 'must not be empty'),
  equals: z.unknown().optional(),
  notEquals: z.unknown().optional(),
  anyOf: z.array(z.unknown()).optional(),
  notAnyOf: z.array(z.unknown()).optional(),
  exists: z.boolean().optional(),
  gt: z.number().optional(),
  gte: z.number().optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
  matches: z.string().optional(),
}).strict();

const RuleSchema = z.object({
  name: z.string().min(1, 'must not be empty'),
  description: z.string().optional(),
  effect,
  actions: patternList.optional(),
  resources: patternList.optional(),
  subjects: patternList.optional(),
  constraints: z.array(ConstraintSchema).optional(),
  priority: z.number().finite().default(100),
  metadata: z.record(z.string(), z.unknown()).optional(),
}).strict();

const PolicySetSchema = z.object({
  name: z.string().min(1, 'must not be empty'),
  description: z.string().optional(),
  defaultEffect: effect.default('deny'),
  rules: z.array(RuleSchema),
}).strict();

export type PathSegment = string | number;
export interface LocatedIssue extends PolicyIssue {
  segments: PathSegment[];
}

export function formatPath(segments: readonly PathSegment[]): string {
  return segments.reduce<string>((out, segment) =>
    typeof segment === 'number' ? `${out}[${segment}]` : out ? `${out}.${segment}` : segment, '');
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function knownKeysAt(segments: readonly PathSegment[]): readonly string[] {
  if (segments.length === 0) return SET_KEYS;
  if (segments.length === 2) return RULE_KEYS;
  return ['key', ...CONSTRAINT_TESTS];
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function zodIssues(input: unknown, error: z.ZodError): LocatedIssue[] {
  return error.issues.flatMap((issue): LocatedIssue[] => {
    const segments = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    const actual = valueAtPath(input, segments);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        segments: [...segments, key],
        path: formatPath([...segments, key]),
        message: `unknown key "${key}"${didYouMean(key, knownKeysAt(segments))}`,
      }));
    }
    let message = issue.message;
    if (issue.code === 'invalid_value' && segments.at(-1) && /effect/i.test(String(segments.at(-1)))) {
      message = `unknown effect ${JSON.stringify(actual)}${typeof actual === 'string' ? didYouMean(actual, POLICY_EFFECTS) : ''} (expected one of ${POLICY_EFFECTS.join(', ')})`;
    } else if (issue.code === 'invalid_type') {
      message = actual === undefined ? `is required (${issue.expected})` : `expected ${issue.expected === 'array' ? 'a list' : issue.expected}, got ${describeType(actual)}`;
    }
    return [{ segments, path: formatPath(segments), message }];
  });
}

/** Checks zod cannot express: duplicate names, glob syntax, constraint forms, subject forms. */
function semanticIssues(input: unknown): LocatedIssue[] {
  const issues: LocatedIssue[] = [];
  const add = (segments: PathSegment[], message: string) => issues.push({ segments, path: formatPath(segments), message });
  if (!isRecord(input) || !Array.isArray(input.rules)) return issues;
  const firstByName = new Map<string, number>();
  input.rules.forEach((rule, index) => {
    if (!isRecord(rule)) return;
    if (typeof rule.name === 'string' && rule.name) {
      const earlier = firstByName.get(rule.name);
      if (earlier !== undefined) add(['rules', index, 'name'], `duplicate rule name "${rule.name}" (first used by rules[${earlier}]); rule names must be unique`);
      else firstByName.set(rule.name, index);
    }
    for (const field of ['actions', 'resources'] as const) {
      const list = rule[field];
      if (!Array.isArray(list)) continue;
      list.forEach((pattern, i) => {
        if (typeof pattern !== 'string') return;
        try {
          compileGlob(pattern);
        } catch (error) {
          if (error instanceof GlobSyntaxError) add(['rules', index, field, i], error.message);
          else throw error;
        }
      });
    }
    if (Array.isArray(rule.subjects)) {
      rule.subjects.forEach((pattern, i) => {
        if (typeof pattern !== 'string') return;
        const problem = subjectPatternProblem(pattern);
        if (problem) add(['rules', index, 'subjects', i], problem);
      });
    }
    if (Array.isArray(rule.constraints)) {
      rule.constraints.forEach((constraint, i) => {
        if (!isRecord(constraint)) return;
        const tests = CONSTRAINT_TESTS.filter((test) => test in constraint);
        if (tests.length === 0) add(['rules', index, 'constraints', i], `constraint on "${String(constraint.key)}" has no test; add one of ${CONSTRAINT_TESTS.join(', ')}`);
        if (typeof constraint.key === 'string' && constraint.key.split('.').some((segment) => segment === '')) {
          add(['rules', index, 'constraints', i, 'key'], `"${constraint.key}" has an empty path segment; write dotted keys like "subject.attributes.team_id"`);
        }
        if (typeof constraint.matches === 'string' && constraint.matches.length > POLICY_LIMITS.matchesPatternLength) {
          add(['rules', index, 'constraints', i, 'matches'], `the pattern for "${String(constraint.key)}" is ${constraint.matches.length} characters, more than the ${POLICY_LIMITS.matchesPatternLength} allowed; split it into several rules or test with anyOf`);
        } else if (typeof constraint.matches === 'string') {
          try {
            compileGlob(constraint.matches);
          } catch (error) {
            if (error instanceof GlobSyntaxError) add(['rules', index, 'constraints', i, 'matches'], error.message);
            else throw error;
          }
        }
      });
    }
  });
  return issues;
}

/** Why a `subjects` entry is malformed, or null when it is fine. */
export function subjectPatternProblem(pattern: string): string | null {
  if (!pattern) return 'a subject pattern must not be empty; use "*" for anyone';
  let glob = pattern;
  if (pattern.startsWith('role:')) {
    glob = pattern.slice(5);
    if (!glob) return '"role:" needs a role name or glob, e.g. "role:admin"';
  } else if (pattern.startsWith('tag:')) {
    const body = pattern.slice(4);
    const eq = body.indexOf('=');
    const key = eq < 0 ? body : body.slice(0, eq);
    if (!key) return '"tag:" needs a tag key, e.g. "tag:tenant_id" or "tag:tenant_id=acme"';
    if (eq < 0) return null;
    glob = body.slice(eq + 1);
    if (!glob) return `"${pattern}" has no value after "="; write "tag:${key}" to require only the tag`;
  }
  try {
    compileGlob(glob);
    return null;
  } catch (error) {
    if (error instanceof GlobSyntaxError) return error.message;
    throw error;
  }
}

/**
 * Sets this module produced: the engine trusts these and validates anything else, so a plain
 * object from JavaScript gets the same checks (and defaults) as a file. The engine compiles a set
 * when it is constructed, so a later change to the object cannot reach its decisions.
 */
const validated = new WeakSet<PolicySet>();

export const isValidatedPolicySet = (set: PolicySet): boolean => validated.has(set);

/** Validate issues without throwing; used by loadPolicySet to attach line numbers. */
export function validatePolicySet(input: unknown): { set?: PolicySet; issues: LocatedIssue[] } {
  const parsed = PolicySetSchema.safeParse(input);
  const issues = [...(parsed.success ? [] : zodIssues(input, parsed.error)), ...semanticIssues(input)];
  if (issues.length > 0) return { issues };
  const set = parsed.data as PolicySet;
  validated.add(set);
  return { set, issues };
}

/** Validate a plain (JSON-shaped) object and return the PolicySet, or throw PolicyValidationError. */
export function parsePolicySet(input: unknown): PolicySet {
  const { set, issues } = validatePolicySet(input);
  if (!set) throw new PolicyValidationError(issues.map(({ path, message }) => ({ path, message })));
  return set;
}
