export { startMcpGateway, type StartMcpGatewayOptions, type RunningMcpGateway } from './start.js';
export { createMcpGateway, MCP_CALL_ACTION, type McpGateway, type McpGatewayOptions } from './gateway.js';
export { listenMcpHttp, type McpHttpOptions, type McpHttpListener } from './http.js';
export { connectUpstream, upstreamTaskQueue, upstreamEnvironment, type Upstream, type UpstreamSpec } from './upstream.js';
export { createOperationWorker, type OperationWorker, type OperationWorkerOptions, type OperationLookup } from './operationWorker.js';
export { toolCallOperationId, IDEMPOTENCY_KEY, type ToolCallIdentity } from './operationIds.js';
export { OperationTaskStore } from './taskStore.js';
export { OPERATION_META, REFUSAL_META } from './toolResults.js';
