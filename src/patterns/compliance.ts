import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { AuditEntry } from '../audit/types.js';
import { TollgateInputError } from '../errors.js';
import { POLICY_EFFECTS, type PolicyEffect } from '../policy/types.js';
import { didYouMean } from '../suggest.js';

/**
 * Compliance automation (seed: ComplianceAutomationSystem). Each requirement names the rules of
 * the compliance preset that enforce it; a report reads audit-like events and says, per
 * requirement, whether the record shows it met. The seed's requirements form the default
 * registry; a YAML file (`loadComplianceRegistry`) adds to it or replaces entries of it.
 */

export const ComplianceFramework = {
  GDPR: 'gdpr',
  HIPAA: 'hipaa',
  PCI_DSS: 'pci_dss',
  SOC2: 'soc2',
  ISO27001: 'iso27001',
} as const;
/** The seed's frameworks; a registry file may add others (`dora`, `nis2`, ...). */
export type SeedComplianceFramework = (typeof ComplianceFramework)[keyof typeof ComplianceFramework];
// `string & {}` keeps the seed names as suggestions while accepting a registry's own.
export type ComplianceFramework = SeedComplianceFramework | (string & {});
export const COMPLIANCE_FRAMEWORKS: readonly SeedComplianceFramework[] = Object.values(ComplianceFramework);

export interface ComplianceRequirement {
  framework: ComplianceFramework;
  requirementId: string;
  description: string;
  /** Rules of the compliance preset that enforce it; the first is the seed's rule. */
  rules: readonly string[];
  /** What an auditor will ask for beyond the decision log; the report lists it, it cannot check it. */
  evidenceNeeded: readonly string[];
}

export const COMPLIANCE_REQUIREMENTS: readonly ComplianceRequirement[] = [
  {
    framework: 'gdpr',
    requirementId: 'GDPR-Art6',
    description: 'Data processing requires legal basis',
    rules: ['gdpr_legal_basis'],
    evidenceNeeded: ['legal_basis_documentation', 'consent_records'],
  },
  {
    framework: 'gdpr',
    requirementId: 'GDPR-Art17',
    description: 'Right to erasure (right to be forgotten)',
    rules: ['gdpr_right_to_erasure'],
    evidenceNeeded: ['erasure_request', 'deletion_confirmation'],
  },
  {
    framework: 'hipaa',
    requirementId: 'HIPAA-164.308',
    description: 'Administrative safeguards - access controls',
    rules: ['hipaa_phi_access_control', 'hipaa_phi_preconditions_missing'],
    evidenceNeeded: ['access_logs', 'training_certificates', 'approval_records'],
  },
  {
    framework: 'pci_dss',
    requirementId: 'PCI-3.4',
    description: 'Cardholder data must be encrypted',
    rules: ['pci_encryption_required'],
    evidenceNeeded: ['encryption_certificates', 'key_management_logs'],
  },
  {
    framework: 'soc2',
    requirementId: 'SOC2-CC6.1',
    description: 'Logical and physical access controls',
    rules: ['soc2_access_control'],
    evidenceNeeded: ['access_control_matrix', 'access_logs', 'review_records'],
  },
  // The seed lists ISO 27001 but defines no requirement for it. Control ids are Annex A of
  // ISO/IEC 27001:2013 (A.9.4.1 and A.12.4.1 became A.8.3 and A.8.15 in the 2022 revision).
  {
    framework: 'iso27001',
    requirementId: 'ISO27001-A.9.4.1',
    description: 'Information access restriction',
    rules: ['soc2_access_control'],
    evidenceNeeded: ['access_control_policy', 'access_control_matrix', 'access_logs'],
  },
  {
    framework: 'iso27001',
    requirementId: 'ISO27001-A.12.4.1',
    description: 'Event logging: user activities, exceptions and security events are recorded',
    rules: ['require_audit_logging'],
    evidenceNeeded: ['audit_log_retention_policy', 'audit_chain_verification'],
  },
];

/** The requirements a report checks, by framework. */
export interface ComplianceRegistry {
  /** Every framework with at least one requirement, in first-seen order. */
  frameworks: readonly ComplianceFramework[];
  requirements: readonly ComplianceRequirement[];
}

export function complianceRegistry(requirements: readonly ComplianceRequirement[]): ComplianceRegistry {
  return { frameworks: [...new Set(requirements.map((requirement) => requirement.framework))], requirements };
}

/** The seed's GDPR, HIPAA, PCI-DSS, SOC 2 and ISO 27001 requirements. */
export const SEED_COMPLIANCE_REGISTRY: ComplianceRegistry = complianceRegistry(COMPLIANCE_REQUIREMENTS);

const normaliseFramework = (input: string) => input.trim().toLowerCase().replace(/-/g, '_');

/** Accepts `GDPR`, `pci-dss`, `iso27001`... (and a registry's own frameworks); throws with the valid names. */
export function parseComplianceFramework(input: string, registry: ComplianceRegistry = SEED_COMPLIANCE_REGISTRY): ComplianceFramework {
  const normalised = normaliseFramework(input);
  const found = registry.frameworks.find((framework) => framework === normalised);
  if (found) return found;
  throw new RangeError(`unknown compliance framework "${input}"${didYouMean(normalised, registry.frameworks)} (one of ${registry.frameworks.join(', ')})`);
}

export function requirementsFor(framework: ComplianceFramework, registry: ComplianceRegistry = SEED_COMPLIANCE_REGISTRY): ComplianceRequirement[] {
  return registry.requirements.filter((requirement) => requirement.framework === framework);
}

/** A registry file larger than this is refused: requirements are a few lines each. */
export const MAX_REGISTRY_BYTES = 1_000_000;

const RequirementSchema = z.object({
  framework: z.string().transform(normaliseFramework).pipe(z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a name such as "soc2" or "nis2" (letters, digits, _ or -)')),
  requirementId: z.string().trim().min(1, 'must not be empty'),
  description: z.string().trim().min(1, 'must not be empty'),
  rules: z.array(z.string().min(1)).min(1, 'name at least one policy rule that enforces the requirement'),
  evidenceNeeded: z.array(z.string().min(1)).default([]),
}).strict();

const RegistryFileSchema = z.object({
  /** Start from the seed's requirements (default) or from none. */
  seed: z.boolean().default(true),
  requirements: z.array(RequirementSchema).min(1, 'list at least one requirement'),
}).strict();

/**
 * Validate a registry document (as parsed from YAML). Requirements are added to the seed's; one
 * whose `requirementId` is a seed requirement's replaces it (to point it at your own rules).
 * Errors name `source` and the field: `compliance.yaml: requirements[2].rules: ...`.
 */
export function parseComplianceRegistry(input: unknown, source: string, base: ComplianceRegistry = SEED_COMPLIANCE_REGISTRY): ComplianceRegistry {
  const parsed = RegistryFileSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('') || '(root)';
    throw new TollgateInputError(`${source}: ${path}: ${issue.message}`, path);
  }
  const seen = new Map<string, number>();
  parsed.data.requirements.forEach((requirement, index) => {
    const first = seen.get(requirement.requirementId);
    if (first !== undefined) {
      throw new TollgateInputError(`${source}: requirements[${index}].requirementId: "${requirement.requirementId}" is already defined at requirements[${first}]`, `requirements[${index}].requirementId`);
    }
    seen.set(requirement.requirementId, index);
  });
  const own = new Map(parsed.data.requirements.map((requirement) => [requirement.requirementId, requirement as ComplianceRequirement]));
  // A replaced seed requirement keeps its place, so reports list requirements in a stable order.
  const kept = parsed.data.seed ? base.requirements.map((requirement) => own.get(requirement.requirementId) ?? requirement) : [];
  const keptIds = new Set(kept.map((requirement) => requirement.requirementId));
  return complianceRegistry([...kept, ...[...own.values()].filter((requirement) => !keptIds.has(requirement.requirementId))]);
}

/** `compliance: FILE` in tollgate.yaml, or `tollgate compliance report --registry FILE`. */
export function loadComplianceRegistry(file: string, base: ComplianceRegistry = SEED_COMPLIANCE_REGISTRY): ComplianceRegistry {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_REGISTRY_BYTES) throw new TollgateInputError(`${file}: ${size} bytes is more than a compliance registry may hold (${MAX_REGISTRY_BYTES})`, 'compliance');
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof TollgateInputError) throw error;
    throw new TollgateInputError(`${file}: cannot read the compliance registry (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'compliance');
  }
  let document: unknown;
  try {
    document = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new TollgateInputError(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`, 'compliance');
  }
  return parseComplianceRegistry(document, file, base);
}

export type { ApprovalOutcome } from '../operation/contract.js';
import type { ApprovalOutcome } from '../operation/contract.js';

export interface PolicyDecisionEvent {
  type: 'policy_decision';
  rule: string | null;
  effect: PolicyEffect;
  at: string | Date;
  /** Pairs a require_approval decision with its approval_decision. */
  operationId?: string;
  [key: string]: unknown;
}

export interface ApprovalDecisionEvent {
  type: 'approval_decision';
  /** The rule that required the approval, when the record carries it. */
  rule?: string | null;
  outcome: ApprovalOutcome;
  at: string | Date;
  operationId?: string;
  [key: string]: unknown;
}

export type ComplianceEvent = PolicyDecisionEvent | ApprovalDecisionEvent;

export type RequirementStatus = 'compliant' | 'non_compliant' | 'requires_review';

export interface RequirementEvidence {
  decisions: number;
  allowed: number;
  denied: number;
  approvalRequired: number;
  approved: number;
  rejected: number;
  expired: number;
  cancelled: number;
  pendingApprovals: number;
}

export interface RequirementReport {
  requirementId: string;
  description: string;
  rules: readonly string[];
  status: RequirementStatus;
  /** Why this status, in one sentence. */
  finding: string;
  evidence: RequirementEvidence;
  evidenceNeeded: readonly string[];
  violations: PolicyDecisionEvent[];
}

export interface ComplianceReport {
  framework: ComplianceFramework;
  generatedAt: string;
  period: { from: string | null; to: string };
  requirements: RequirementReport[];
  summary: { totalRequirements: number; compliant: number; nonCompliant: number; requiresReview: number };
}

export interface ComplianceReportOptions {
  /** Only events at or after this time count; default: the whole record. */
  since?: Date;
  /** The requirements to check; default the seed's. */
  registry?: ComplianceRegistry;
}

const timeOf = (at: string | Date) => (at instanceof Date ? at.getTime() : Date.parse(at));

/**
 * The status of each requirement of `framework`, from events up to `now`:
 * - non_compliant: some decision by one of its rules was a deny. As in the seed, a blocked
 *   attempt counts: the control held, but someone tried, and the report lists who for follow-up.
 * - requires_review: no violations, but either no event at all evidences the requirement
 *   (absence of denials proves nothing when the rule never ran) or an approval it required is
 *   still pending. A require_approval decision is pending until an approval_decision with the
 *   same operationId is recorded; one without an operationId can never be shown resolved.
 * - compliant: evidenced by at least one decision, no violations, nothing pending.
 */
export function complianceReport(
  framework: ComplianceFramework,
  events: readonly ComplianceEvent[],
  now: Date,
  options: ComplianceReportOptions = {},
): ComplianceReport {
  const from = options.since?.getTime() ?? -Infinity;
  const to = now.getTime();
  const inPeriod = events.filter((event) => {
    const time = timeOf(event.at);
    return Number.isFinite(time) && time >= from && time <= to;
  });

  const requirements = requirementsFor(framework, options.registry).map((requirement) => reportRequirement(requirement, inPeriod));
  const count = (status: RequirementStatus) => requirements.filter((r) => r.status === status).length;
  return {
    framework,
    generatedAt: now.toISOString(),
    period: { from: options.since ? options.since.toISOString() : null, to: now.toISOString() },
    requirements,
    summary: {
      totalRequirements: requirements.length,
      compliant: count('compliant'),
      nonCompliant: count('non_compliant'),
      requiresReview: count('requires_review'),
    },
  };
}

function reportRequirement(requirement: ComplianceRequirement, events: readonly ComplianceEvent[]): RequirementReport {
  const rules = new Set(requirement.rules);
  const decisions = events.filter((e): e is PolicyDecisionEvent => e.type === 'policy_decision' && e.rule !== null && rules.has(e.rule));
  const violations = decisions.filter((d) => d.effect === 'deny');
  const awaiting = decisions.filter((d) => d.effect === 'require_approval');
  // An approval record belongs here if it names one of the rules, or if it decides an operation
  // one of the rules sent for approval (approval records need not repeat the rule).
  const awaitingIds = new Set(awaiting.flatMap((d) => (d.operationId === undefined ? [] : [d.operationId])));
  const approvals = events.filter((e): e is ApprovalDecisionEvent => e.type === 'approval_decision'
    && ((e.rule != null && rules.has(e.rule)) || (e.operationId !== undefined && awaitingIds.has(e.operationId))));
  const decided = new Set(approvals.flatMap((a) => (a.operationId === undefined ? [] : [a.operationId])));
  const pending = awaiting.filter((d) => d.operationId === undefined || !decided.has(d.operationId));
  const outcomes = (outcome: ApprovalOutcome) => approvals.filter((a) => a.outcome === outcome).length;
  const evidence: RequirementEvidence = {
    decisions: decisions.length,
    allowed: decisions.filter((d) => d.effect === 'allow').length,
    denied: violations.length,
    approvalRequired: awaiting.length,
    approved: outcomes('approved'),
    rejected: outcomes('rejected'),
    expired: outcomes('expired'),
    cancelled: outcomes('cancelled'),
    pendingApprovals: pending.length,
  };

  let status: RequirementStatus;
  let finding: string;
  if (violations.length > 0) {
    status = 'non_compliant';
    finding = `${violations.length} request${violations.length === 1 ? ' was' : 's were'} denied by ${[...new Set(violations.map((v) => v.rule))].join(', ')}`;
  } else if (pending.length > 0) {
    status = 'requires_review';
    finding = `${pending.length} approval${pending.length === 1 ? ' is' : 's are'} still pending`;
  } else if (decisions.length === 0) {
    status = 'requires_review';
    finding = `no decision by ${requirement.rules.join(' or ')} in the period, so nothing evidences the control`;
  } else {
    status = 'compliant';
    finding = `${decisions.length} decision${decisions.length === 1 ? '' : 's'}, no violations, no pending approvals`;
  }

  return {
    requirementId: requirement.requirementId,
    description: requirement.description,
    rules: requirement.rules,
    status,
    finding,
    evidence,
    evidenceNeeded: requirement.evidenceNeeded,
    violations,
  };
}

/** The entry types a compliance report reads; query only these to build one. */
export const COMPLIANCE_ENTRY_TYPES = ['policy_decision', 'approval_decision'] as const;

const APPROVAL_OUTCOMES: readonly string[] = ['approved', 'rejected', 'expired', 'cancelled'] satisfies ApprovalOutcome[];

/**
 * The audit record as `complianceReport` reads it: policy decisions and approval outcomes,
 * each with its operation id (which pairs a require_approval with its resolution) and its
 * place in the chain (`seq`, `hash`) so a violation in a report can be traced to its entry.
 * Other entry types, and entries whose outcome this version does not know, are left out.
 */
export function complianceEvents(entries: Iterable<AuditEntry>): ComplianceEvent[] {
  const events: ComplianceEvent[] = [];
  for (const entry of entries) {
    const trace = {
      at: entry.at,
      seq: entry.seq,
      hash: entry.hash,
      ...(entry.operationId !== null ? { operationId: entry.operationId } : {}),
      ...(entry.actor !== null ? { actor: entry.actor } : {}),
      ...(entry.action !== null ? { action: entry.action } : {}),
      ...(entry.resource !== null ? { resource: entry.resource } : {}),
    };
    if (entry.type === 'policy_decision' && (POLICY_EFFECTS as readonly (string | null)[]).includes(entry.outcome)) {
      const event: PolicyDecisionEvent = {
        type: 'policy_decision',
        rule: entry.rule,
        effect: entry.outcome as PolicyEffect,
        ...trace,
        ...(typeof entry.data.reason === 'string' ? { reason: entry.data.reason } : {}),
      };
      events.push(event);
    } else if (entry.type === 'approval_decision' && entry.outcome !== null && APPROVAL_OUTCOMES.includes(entry.outcome)) {
      const event: ApprovalDecisionEvent = {
        type: 'approval_decision',
        rule: entry.rule,
        outcome: entry.outcome as ApprovalOutcome,
        ...trace,
      };
      events.push(event);
    }
  }
  return events;
}
