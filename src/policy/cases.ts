import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { TollgateInputError } from '../errors.js';
import type { PolicyEngine } from './engine.js';
import { policyLineLocator } from './load.js';
import { PolicyRequestSchema } from './request.js';
import { PolicyEffect, type PolicyDecision } from './types.js';

/**
 * Table-driven policy cases, like `opa test`: each case is a request and the decision it must get.
 * The library runs them and returns results; `tollgate policy test` prints them, and tests call it
 * directly (issue 13, "A thin CLI").
 */
export const PolicyCaseSchema = z.object({
  name: z.string().optional(),
  request: PolicyRequestSchema,
  effect: z.enum([PolicyEffect.ALLOW, PolicyEffect.DENY, PolicyEffect.REQUIRE_APPROVAL]),
  /** The deciding rule's name, or null for the default effect; omitted: any rule. */
  rule: z.string().nullable().optional(),
}).strict();
export type PolicyCase = z.infer<typeof PolicyCaseSchema>;

const CaseListSchema = z.array(PolicyCaseSchema);
const CaseDocumentSchema = z.object({ cases: CaseListSchema }).strict();

export interface PolicyCases {
  file: string;
  cases: PolicyCase[];
  /** The line each case starts on in the file, when known. */
  lines: (number | undefined)[];
}

export interface PolicyCaseResult {
  index: number;
  /** The case's name, or `case N` (1-based). */
  label: string;
  line: number | undefined;
  passed: boolean;
  /** What the case asks for (`deny by rule_x`, `allow`), and what the engine decided (`deny by default`). */
  expected: string;
  got: string;
  decision: PolicyDecision;
}

export interface PolicyCasesReport {
  file: string;
  results: PolicyCaseResult[];
  passed: number;
  failed: number;
}

/** Read and validate a cases file (YAML or JSON: `{cases: [...]}` or a bare list); bad input throws TollgateInputError naming the file. */
export function loadPolicyCases(file: string): PolicyCases {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new TollgateInputError(`${file}: cannot read the cases file`, 'CASES');
  }
  const document: unknown = parseYaml(text);
  // One schema per shape, not a union, so that an error names the case and field instead of "(root)".
  const parsed = Array.isArray(document) ? CaseListSchema.safeParse(document) : CaseDocumentSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TollgateInputError(`${file}: ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`, 'CASES');
  }
  const cases = Array.isArray(parsed.data) ? parsed.data : parsed.data.cases;
  const prefix = Array.isArray(document) ? [] : ['cases'];
  const locate = policyLineLocator(text);
  return { file, cases, lines: cases.map((_, index) => locate([...prefix, index])) };
}

/** Run one case against an engine. */
export function runPolicyCase(engine: PolicyEngine, testCase: PolicyCase, index: number, line?: number): PolicyCaseResult {
  const decision = engine.evaluate(testCase.request);
  const passed = decision.effect === testCase.effect && (testCase.rule === undefined || decision.rule === testCase.rule);
  return {
    index,
    label: testCase.name ?? `case ${index + 1}`,
    line,
    passed,
    expected: `${testCase.effect}${testCase.rule !== undefined ? ` by ${testCase.rule ?? 'default'}` : ''}`,
    got: `${decision.effect} by ${decision.rule ?? 'default'}`,
    decision,
  };
}

/** Run every case of a file against an engine. */
export function runPolicyCases(engine: PolicyEngine, cases: PolicyCases): PolicyCasesReport {
  const results = cases.cases.map((testCase, index) => runPolicyCase(engine, testCase, index, cases.lines[index]));
  const failed = results.filter((result) => !result.passed).length;
  return { file: cases.file, results, passed: results.length - failed, failed };
}
