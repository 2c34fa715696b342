export { AuditTrail, type AuditTrailOptions } from './trail.js';
export { verifyJsonl, toJsonLine, ChainVerifier, AuditEntryLineSchema } from './verify.js';
export { complianceEvents, COMPLIANCE_ENTRY_TYPES } from './compliance.js';
export { canonicalJson, entryHash, GENESIS_HASH } from './hash.js';
export { prepareAuditEntry, sealAuditEntry, isAuditEntryType, type PreparedAuditEntry } from './normalise.js';
export { InvalidAuditEntryError, AuditStoreError } from './errors.js';
export {
  auditKey, policyDecisionEntry, approvalRequestedEntry, approvalVoteEntry, approvalRefusedEntry, approvalEscalatedEntry,
  approvalDecisionEntry, operationStartedEntry, operationCompletedEntry, operationFailedEntry, operationCancelledEntry,
  budgetEntry, budgetAlertEntry, approvalGrantedEntry, grantRevokedEntry, approverTokenEntry, operationRefOf, policyShadowDivergenceEntry, policyLoadedEntry, rolloutChangedEntry, budgetOverrunEntry, budgetAdjustmentEntry, budgetLimitSetEntry, type OperationRef, type VoteRef, type BudgetEntryType,
} from './entries.js';
export {
  AUDIT_ENTRY_TYPES, type AuditEntryType, type AuditEntryInput, type AuditEntry, type UnsealedAuditEntry, type AuditQuery,
  type AuditExportFilter, type AuditExportResult, type ChainBreak, type ChainVerification,
} from './types.js';
