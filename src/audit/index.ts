export {
  AuditTrail, startAuditMaintenance, DEFAULT_CHECKPOINT_POLICY, type AuditTrailOptions, type AuditVerifyOptions, type CheckpointPolicy,
} from './trail.js';
export { toJsonLine, ChainVerifier, AuditEntryLineSchema } from './verify.js';
export { verifyJsonl } from './jsonl.js';
export { TrailVerifier, type AnchoredCheckpoint, type TrailVerifierOptions } from './trailVerifier.js';
export {
  fileAnchorSink, slackAnchorSink, objectStoreAnchorSink, readAnchors, anchorLine, defaultAnchorDir,
  type ChatPostMessageClient, type RetainedObjectStore,
} from './anchors.js';
export { auditKeyId, signEntryHash, signEntryHashes, signCheckpoint, entrySignatureValid, checkpointSignatureValid } from './signing.js';
export { loadAuditKey, AUDIT_KEY_ENV, AUDIT_PUBLIC_KEY_ENV, auditKeyFile, parseAuditPublicKey } from './key.js';
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
  type AuditExportFilter, type AuditExportResult, type ChainBreak, type ChainVerification, type AuditCheckpoint, type AuditAnchorSink,
  type SignatureVerification, type AnchorVerification,
} from './types.js';
export { AuditConfigSchema, auditTrailOptions, openAuditTrail, type AuditConfig } from './config.js';
