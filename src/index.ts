/** Tollgate's public API: everything the CLI, the service and a user's own code call. */
export * from './policy/index.js';
export { loadConfig, parseConfig, type TollgateConfig, type TollgateConfigFile, type Approver } from './config.js';
export { TollgateInputError, InfrastructureUnavailableError } from './errors.js';
export { parseDuration, formatDuration } from './duration.js';
export { OperationInputSchema, DecideRequestSchema, GrantRequestSchema, type OperationInput, type DecideRequest, type DecideResult, type GrantRequest } from './operation/schema.js';
export { WORKFLOW_TYPE, decideUpdate, statusQuery, FailureType, type ApprovalOutcome, type OperationEnding } from './operation/contract.js';
export type { OperationStatus, OperationStatusView, OperationResult, ApprovalState, ApprovalVote } from './operation/types.js';
export { GovernanceClient, type OperationHandle, type PendingApproval } from './client/GovernanceClient.js';
export { decideOperation, type DecideOptions } from './client/decide.js';
export { OperationOutcomeError, OperationDeniedError, OperationRejectedError, OperationExpiredError, OperationNotFoundError, DecisionRefusedError } from './client/errors.js';
export { OperationRegistry, registerOperation, defaultOperations, type OperationHandler, type OperationContext } from './operation/registry.js';
export { createTollgateWorker, type TollgateWorker, type TollgateWorkerOptions } from './service/worker.js';
export { startService, type RunningService, type ServiceOptions } from './service/service.js';
export * as patterns from './patterns/index.js';
export * as audit from './audit/index.js';
export { AuditTrail } from './audit/index.js';
export * as budget from './budget/index.js';
export { BudgetLedger, BudgetExceededError } from './budget/index.js';
export { openStore, type Store } from './store/index.js';
// Where agents live (docs/integrations.md). The framework wrappers import nothing from their
// frameworks at run time, so `tollgate` loads without `ai`, LangGraph or the OpenAI Agents SDK.
export { passGate, type GateRequest, type GateOptions } from './integrations/gate.js';
export { CallRefusedError, refusalOf, type Refusal } from './integrations/refusal.js';
export { governTools, type GovernToolsOptions } from './integrations/ai-sdk/index.js';
export { governedNode, type GovernedNodeOptions, type GovernedNodeBody, type TollgateGraphConfig, type GraphRunConfig } from './integrations/langgraph/index.js';
export * as mcp from './integrations/mcp/index.js';
export { governAgentTools, governedTool, type GovernAgentToolsOptions } from './integrations/openai-agents/index.js';
export { createRedactor, configureRedaction, redact, redactString, REDACTED, type RedactionOptions, type Redactor } from './redact.js';
export { temporalLogger } from './temporal/logger.js';
export { logger, createLogger } from './log.js';
export {
  detectSqlInjection, detectCommandInjection, detectPathTraversal, isDomainAllowed, isPathAllowed,
} from './patterns/security.js';
export { canonicalResource, type CanonicalResource } from './policy/canonical.js';
export {
  inspectionForms, decodeForInspection, percentDecodeStrict, percentDecodeLenient, foldFullwidth, foldCompatibility,
  decodeNumericEntities, decodeBackslashEscapes, MAX_DECODE_ROUNDS, type DecodeResult,
} from './policy/decode.js';
