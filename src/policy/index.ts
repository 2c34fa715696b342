export { PolicyEffect, POLICY_EFFECTS } from './types.js';
export type { PolicyConstraint, PolicyDecision, PolicyRequest, PolicyRule, PolicySet, PolicySubject } from './types.js';
export { parsePolicySet, validatePolicySet, subjectPatternProblem } from './schema.js';
export { loadPolicySet, parsePolicyText } from './load.js';
export { PolicyEngine } from './engine.js';
export { PolicyValidationError, PolicyViolationError, PolicyApprovalRequiredError, formatIssue, type PolicyIssue } from './errors.js';
export { compileGlob, globCovers, GlobSyntaxError, type GlobMatcher } from './glob.js';
export type { PolicyExplanation, ExplainStep, ExplainOutcome } from './explain.js';
export { policyVersion } from './version.js';
export { lintPolicySet, type LintFinding, type LintKind } from './lint.js';
export { PolicyRequestSchema, SubjectSchema, parsePolicyRequest } from './request.js';
export { REQUEST_LIMITS, POLICY_LIMITS } from './limits.js';
export { policyLineLocator } from './load.js';
export {
  loadPolicyCases, runPolicyCases, runPolicyCase, PolicyCaseSchema,
  type PolicyCase, type PolicyCases, type PolicyCaseResult, type PolicyCasesReport,
} from './cases.js';
