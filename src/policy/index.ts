export { PolicyEffect, POLICY_EFFECTS } from './types.js';
export type { PolicyConstraint, PolicyDecision, PolicyRequest, PolicyRule, PolicySet, PolicySubject } from './types.js';
export { parsePolicySet, validatePolicySet, subjectPatternProblem } from './schema.js';
export { loadPolicySet, parsePolicyText } from './load.js';
export { PolicyEngine } from './engine.js';
export { PolicyValidationError, PolicyViolationError, PolicyApprovalRequiredError, formatIssue, type PolicyIssue } from './errors.js';
export { compileGlob, GlobSyntaxError, type GlobMatcher } from './glob.js';
export type { PolicyExplanation, ExplainStep, ExplainOutcome } from './explain.js';
export { policyVersion } from './version.js';
