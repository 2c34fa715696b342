/** The request/decision vocabulary of the policy engine (DESIGN.md "Policy semantics"). */

export const PolicyEffect = {
  ALLOW: 'allow',
  DENY: 'deny',
  REQUIRE_APPROVAL: 'require_approval',
} as const;
export type PolicyEffect = (typeof PolicyEffect)[keyof typeof PolicyEffect];
export const POLICY_EFFECTS: readonly PolicyEffect[] = Object.values(PolicyEffect);

export interface PolicySubject {
  identifier: string;
  roles?: string[];
  attributes?: Record<string, unknown>;
  tags?: Record<string, string>;
}

export interface PolicyRequest {
  subject: PolicySubject;
  action: string;
  resource: string;
  context?: Record<string, unknown>;
}

export interface PolicyConstraint {
  key: string;
  equals?: unknown;
  notEquals?: unknown;
  anyOf?: unknown[];
  notAnyOf?: unknown[];
  exists?: boolean;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  matches?: string;
}

export interface PolicyRule {
  name: string;
  description?: string;
  effect: PolicyEffect;
  actions?: string[];
  resources?: string[];
  subjects?: string[];
  constraints?: PolicyConstraint[];
  priority: number;
  metadata?: Record<string, unknown>;
}

export interface PolicySet {
  name: string;
  description?: string;
  defaultEffect: PolicyEffect;
  rules: PolicyRule[];
}

export interface PolicyDecision {
  effect: PolicyEffect;
  /** Name of the rule that decided, or null when the set's default effect decided. */
  rule: string | null;
  reason: string | null;
  metadata: Record<string, unknown>;
  policySet: string;
  policyVersion: string;
}
