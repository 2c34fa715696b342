import { parseDuration, isDuration } from '../duration.js';

/** How long to wait, how many approvers, and when to remind and escalate: from rule metadata. */
export interface ApprovalPlan {
  timeoutMs: number;
  required: number;
  reminderAfterMs: number;
  escalateAfterMs?: number;
  escalateTo?: { channel?: string; roles?: string[] };
  channel?: string;
  /** Set when the rule offers standing grants (`metadata.grantable`). */
  grantable?: GrantOffer;
}

/** What a rule offers through `metadata.grantable: { maxTtl, maxUses }`. */
export interface GrantOffer {
  maxTtlMs: number;
  maxUses: number;
  /** The rule's resource globs: a grant's scope may not reach past them. Absent: the rule covers every resource. */
  resources?: string[];
}

export class ApprovalMetadataError extends Error {
  constructor(rule: string | null, field: string, detail: string) {
    super(`rule ${rule ?? '(default)'} metadata.${field}: ${detail}`);
    this.name = 'ApprovalMetadataError';
  }
}

const asDuration = (rule: string | null, field: string, value: unknown): number => {
  if (typeof value === 'number' && value > 0) return value;
  if (!isDuration(value)) throw new ApprovalMetadataError(rule, field, `expected a duration such as "4h", got ${JSON.stringify(value)}`);
  return parseDuration(value);
};

/** `ruleResources`: the resources of the rule that asked for approval, which bound any grant it offers. */
export function approvalPlan(rule: string | null, metadata: Record<string, unknown>, defaults: { defaultTimeout: string }, ruleResources?: readonly string[]): ApprovalPlan {
  const timeoutMs = metadata.approvalTimeout !== undefined ? asDuration(rule, 'approvalTimeout', metadata.approvalTimeout) : parseDuration(defaults.defaultTimeout);
  const required = metadata.approvalsRequired ?? 1;
  if (!Number.isInteger(required) || (required as number) < 1) {
    throw new ApprovalMetadataError(rule, 'approvalsRequired', `expected a whole number ≥ 1, got ${JSON.stringify(required)}`);
  }
  const plan: ApprovalPlan = { timeoutMs, required: required as number, reminderAfterMs: Math.floor(timeoutMs / 2) };
  if (metadata.escalateAfter !== undefined) {
    plan.escalateAfterMs = asDuration(rule, 'escalateAfter', metadata.escalateAfter);
    const target = metadata.escalateTo as { channel?: unknown; roles?: unknown } | undefined;
    if (target !== undefined && (typeof target !== 'object' || target === null)) {
      throw new ApprovalMetadataError(rule, 'escalateTo', 'expected { channel?, roles? }');
    }
    plan.escalateTo = {
      channel: typeof target?.channel === 'string' ? target.channel : undefined,
      roles: Array.isArray(target?.roles) ? target.roles.map(String) : undefined,
    };
  }
  if (typeof metadata.slackChannel === 'string') plan.channel = metadata.slackChannel;
  const grantable = grantOffer(rule, metadata);
  if (grantable) plan.grantable = ruleResources ? { ...grantable, resources: [...ruleResources] } : grantable;
  return plan;
}

/** The rule's grant offer, or null when it makes none (rules without `grantable` never offer one). */
export function grantOffer(rule: string | null, metadata: Record<string, unknown>): GrantOffer | null {
  const raw = metadata.grantable;
  if (raw === undefined || raw === false) return null;
  if (typeof raw !== 'object' || raw === null) throw new ApprovalMetadataError(rule, 'grantable', 'expected { maxTtl: "8h", maxUses: 50 }');
  const { maxTtl, maxUses } = raw as { maxTtl?: unknown; maxUses?: unknown };
  if (!isDuration(maxTtl)) throw new ApprovalMetadataError(rule, 'grantable.maxTtl', `expected a duration such as "8h", got ${JSON.stringify(maxTtl)}`);
  if (!Number.isInteger(maxUses) || (maxUses as number) < 1) throw new ApprovalMetadataError(rule, 'grantable.maxUses', `expected a whole number ≥ 1, got ${JSON.stringify(maxUses)}`);
  return { maxTtlMs: parseDuration(maxTtl), maxUses: maxUses as number };
}
