/** Tollgate's public API: everything the CLI, the service and a user's own code call. */
export * from './policy/index.js';
export { loadConfig, parseConfig, type TollgateConfig, type TollgateConfigFile, type Approver } from './config.js';
export { TollgateInputError, InfrastructureUnavailableError } from './errors.js';
export { parseDuration, formatDuration } from './duration.js';
export { OperationInputSchema, ApprovalDecisionSchema, type OperationInput, type ApprovalDecision } from './operation/schema.js';
export type { OperationStatus, OperationStatusView, OperationResult, ApprovalState, ApprovalVote } from './operation/types.js';
export { GovernanceClient, type OperationHandle, type PendingApproval, type ApproverRef } from './client/GovernanceClient.js';
export { OperationOutcomeError, OperationDeniedError, OperationRejectedError, OperationExpiredError, OperationNotFoundError } from './client/errors.js';
export { OperationRegistry, registerOperation, defaultOperations, type OperationHandler, type OperationContext } from './operation/registry.js';
export { createTollgateWorker, type TollgateWorker, type TollgateWorkerOptions } from './service/worker.js';
export { startService, type RunningService, type ServiceOptions } from './service/service.js';
export * as patterns from './patterns/index.js';
export * as audit from './audit/index.js';
export { AuditTrail } from './audit/index.js';
export * as budget from './budget/index.js';
export { BudgetLedger, BudgetExceededError } from './budget/index.js';
export { openStore, type Store } from './store/index.js';
export {
  detectSqlInjection, detectCommandInjection, detectPathTraversal, isDomainAllowed, isPathAllowed,
} from './patterns/security.js';
export { canonicalResource, type CanonicalResource } from './policy/canonical.js';
export {
  inspectionForms, decodeForInspection, percentDecodeStrict, percentDecodeLenient, foldFullwidth, foldCompatibility,
  decodeNumericEntities, decodeBackslashEscapes, MAX_DECODE_ROUNDS, type DecodeResult,
} from './policy/decode.js';
