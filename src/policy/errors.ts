import type { PolicyDecision, PolicyRequest } from './types.js';

export interface PolicyIssue {
  /** Where in the policy set, e.g. `rules[3].constraints[0].equals`. */
  path: string;
  message: string;
  file?: string;
  line?: number;
}

export function formatIssue(issue: PolicyIssue): string {
  const where = issue.file ? `${issue.file}${issue.line ? `:${issue.line}` : ''}` : '';
  const path = issue.path || (where ? '' : '(root)');
  return [where, path].filter(Boolean).join(' ') + `: ${issue.message}`;
}

/** Raised by parsePolicySet / loadPolicySet; lists every problem, not just the first. */
export class PolicyValidationError extends Error {
  readonly issues: PolicyIssue[];
  constructor(issues: PolicyIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'PolicyValidationError';
    this.issues = issues;
  }
}

/** Raised by `enforce` when the decision is deny. */
export class PolicyViolationError extends Error {
  constructor(readonly decision: PolicyDecision, readonly request: PolicyRequest) {
    super(`denied ${request.action} on ${request.resource} for ${request.subject.identifier}${decision.rule ? ` by rule ${decision.rule}` : ' by default'}${decision.reason ? `: ${decision.reason}` : ''}`);
    this.name = 'PolicyViolationError';
  }
}

/** Raised by `enforce` when the decision is require_approval. */
export class PolicyApprovalRequiredError extends Error {
  constructor(readonly decision: PolicyDecision, readonly request: PolicyRequest) {
    super(`approval required for ${request.action} on ${request.resource} by ${request.subject.identifier}${decision.rule ? ` (rule ${decision.rule})` : ''}${decision.reason ? `: ${decision.reason}` : ''}`);
    this.name = 'PolicyApprovalRequiredError';
  }
}
