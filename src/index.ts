/** Tollgate's public API: everything the CLI, the service and a user's own code call. */
export * from './policy/index.js';
export { loadConfig, parseConfig, type TollgateConfig, type TollgateConfigFile, type Approver } from './config.js';
export { TollgateInputError, InfrastructureUnavailableError } from './errors.js';
export { parseDuration, formatDuration } from './duration.js';
export { OperationInputSchema, ApprovalDecisionSchema, type OperationInput, type ApprovalDecision } from './operation/schema.js';
export type { OperationStatus, OperationStatusView, OperationResult, ApprovalState, ApprovalVote } from './operation/types.js';
