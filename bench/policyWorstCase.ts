/**
 * The worst case for the policy engine (issue 10): 10,000-character resources of the shapes that
 * made backtracking globs explode, against the enterprise preset, and adversarial globs against
 * long strings on their own. Run from bench/policy.ts; figures go into its JSON as `worstCase`.
 */
import { compileGlob, loadPolicySet, type PolicyRequest } from '../src/index.js';
import { presetPath } from '../src/patterns/index.js';
import type { DecisionEngine } from './peers/engine.js';
import { tollgateEngine } from './peers/tollgate.js';

export const WORST_CASE_LENGTH = 10_000;

/** Long runs of one character and of `/`, and near-misses of the preset's globs. */
export function adversarialResources(length = WORST_CASE_LENGTH): string[] {
  const fill = (head: string, unit: string, tail = '') => head + unit.repeat(Math.ceil((length - head.length - tail.length) / unit.length)).slice(0, length - head.length - tail.length) + tail;
  return [
    fill('', 'a'),
    fill('dataset://', '/'),
    fill('dataset://', 'a/'),
    fill('dataset://phi/', 'a/'),
    fill('dataset://eu_citizens/', 'a'),
    fill('tool://sql_', 'a'),
    fill('tool://http_', '/a'),
    fill('model://claude-opus', '-'),
    fill('dataset://', 'productio'), // never quite `production`
    fill('dataset://', 'a', 'production'),
  ];
}

/** Distinct requests: each resource shape with a distinct tail, every preset action, a few subjects. */
export function worstCaseRequests(count: number): PolicyRequest[] {
  const actions = ['data:read', 'data:export', 'data:write', 'data:delete', 'agent:tool_execute', 'agent:model_invoke', 'graph:deploy', 'approval:decide'];
  const subjects = [
    { identifier: 'dev-1', roles: ['developer'] },
    { identifier: 'analyst-1', roles: ['analyst'], attributes: { mfa_verified: true } },
    { identifier: 'admin-1', roles: ['admin'] },
  ];
  const shapes = adversarialResources(WORST_CASE_LENGTH - 8);
  return Array.from({ length: count }, (_, i) => ({
    subject: subjects[i % subjects.length],
    action: actions[i % actions.length],
    resource: `${shapes[i % shapes.length]}${String(i).padStart(8, '0')}`,
    context: { environment: i % 2 ? 'production' : 'development', contains_sql_injection: false, domain_approved: true },
  }));
}

export const ADVERSARIAL_GLOBS = [
  'dataset://*/*/*/*.csv',
  '*a*a*a*a*a*b',
  '*/*/*/*/*/*/*/*/*.csv',
  'a*?*?*?*?*?*?*b',
  '*[ab]*[ab]*[ab]*[ab]*c',
  '*production*staging*',
  `*${'a'.repeat(20)}b*`, // a middle segment that almost matches at every position: the O(n·m) case
  `*${'?'.repeat(20)}b*`,
];

export interface GlobFigures {
  pattern: string;
  valueLength: number;
  testsPerSec: number;
  p99us: number;
  matched: boolean;
}

/** Time single tests of each adversarial glob against each long resource shape. */
export function measureAdversarialGlobs(budgetMs: number): GlobFigures[] {
  const values = adversarialResources();
  const perGlobNs = BigInt(Math.round((budgetMs / ADVERSARIAL_GLOBS.length) * 1e6));
  return ADVERSARIAL_GLOBS.map((pattern) => {
    const glob = compileGlob(pattern);
    const samples: number[] = [];
    let matched = false;
    const until = process.hrtime.bigint() + perGlobNs;
    let i = 0;
    do {
      const value = values[i++ % values.length];
      const t0 = process.hrtime.bigint();
      if (glob.test(value)) matched = true;
      samples.push(Number(process.hrtime.bigint() - t0));
    } while (process.hrtime.bigint() < until);
    const sorted = Float64Array.from(samples).sort();
    const totalNs = samples.reduce((a, b) => a + b, 0);
    return { pattern, valueLength: WORST_CASE_LENGTH, testsPerSec: samples.length / (totalNs / 1e9), p99us: sorted[Math.floor(0.99 * sorted.length)] / 1e3, matched };
  });
}

/** The enterprise preset as the engine under test, bound to the adversarial requests. */
export function enterpriseWorstCase(requests: readonly PolicyRequest[]): DecisionEngine {
  return tollgateEngine(loadPolicySet(presetPath('enterprise')), requests);
}
