export {
  extractTenantId, tenantContext, resourceNamingContext, DEFAULT_TENANT_SCHEMES,
  type TenantContext, type ResourceNamingContext,
} from './tenancy.js';
export {
  detectSqlInjection, detectCommandInjection, detectPathTraversal, isPathAllowed, isDomainAllowed, securityContext,
  type SecurityContext, type SecurityContextOptions,
} from './security.js';
export { rolloutBucket, inRollout, selectPolicySet, rolloutContext, type RolloutContext } from './rollout.js';
export {
  ComplianceFramework, COMPLIANCE_FRAMEWORKS, COMPLIANCE_REQUIREMENTS, parseComplianceFramework, requirementsFor, complianceReport,
  type ComplianceRequirement, type ComplianceEvent, type PolicyDecisionEvent, type ApprovalDecisionEvent, type ApprovalOutcome,
  type RequirementStatus, type RequirementEvidence, type RequirementReport, type ComplianceReport, type ComplianceReportOptions,
} from './compliance.js';
export { presetPath, presetCasesPath, listPresets, presetDirectory } from './presets.js';
export {
  complianceEvents, COMPLIANCE_ENTRY_TYPES, loadComplianceRegistry, parseComplianceRegistry, complianceRegistry, SEED_COMPLIANCE_REGISTRY,
  type ComplianceRegistry, type SeedComplianceFramework,
} from './compliance.js';
