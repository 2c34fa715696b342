import type { PolicyDecision, PolicyRequest, PolicySubject } from '../policy/types.js';
import type { ApprovalState } from './types.js';

export interface OperationContext {
  /** The workflow id: use it as an idempotency key, since an activity can run more than once. */
  operationId: string;
  attempt: number;
  subject: PolicySubject;
  action: string;
  resource: string;
  decision: PolicyDecision;
  approval?: ApprovalState;
}

/** A handler returns its result; it may report what the operation actually cost. */
export type OperationHandler = (args: unknown, context: OperationContext) => Promise<unknown> | unknown;
export interface CostedResult { result?: unknown; actualCost: number }

export const isCostedResult = (value: unknown): value is CostedResult =>
  typeof value === 'object' && value !== null && typeof (value as CostedResult).actualCost === 'number' && Object.keys(value).every((k) => k === 'result' || k === 'actualCost');

export class UnknownOperationError extends Error {
  constructor(name: string, known: readonly string[]) {
    super(`no operation handler named "${name}" is registered on this worker (registered: ${known.length ? known.join(', ') : 'none'}); register it with registerOperation("${name}", fn)`);
    this.name = 'UnknownOperationError';
  }
}

export class OperationRegistry {
  private readonly handlers = new Map<string, OperationHandler>();

  register(name: string, handler: OperationHandler): this {
    if (!name) throw new TypeError('an operation needs a name');
    if (this.handlers.has(name)) throw new Error(`operation "${name}" is already registered`);
    this.handlers.set(name, handler);
    return this;
  }

  get(name: string): OperationHandler {
    const handler = this.handlers.get(name);
    if (!handler) throw new UnknownOperationError(name, this.names());
    return handler;
  }

  names(): string[] {
    return [...this.handlers.keys()].sort();
  }
}

/** The registry `tollgate worker` and `tollgate start` use unless given another. */
export const defaultOperations = new OperationRegistry();
export const registerOperation = (name: string, handler: OperationHandler) => defaultOperations.register(name, handler);

/** What the workflow asks a worker to run once the gate is open (the `executeOperation` activity). */
export interface ExecuteOperationInput {
  id: string;
  name: string;
  args: unknown;
  request: PolicyRequest;
  decision: PolicyDecision;
  approval?: ApprovalState;
}

export interface ExecutedOperation {
  result?: unknown;
  actualCost?: number;
  /** Facts about the result for the operation_completed entry the workflow writes (never the result itself). */
  auditDetail?: Record<string, unknown>;
}

/** Anything that finds handlers by name the way an OperationRegistry does. */
export interface OperationLookup {
  get(name: string): OperationHandler;
}

/**
 * Run the handler an operation names. The service's worker and a process that owns a handler's
 * resource (the MCP gateway) both run operations through this; it throws UnknownOperationError
 * for a name nobody registered.
 */
export async function runOperation(operations: OperationLookup, input: ExecuteOperationInput, attempt: number): Promise<ExecutedOperation> {
  const handler = operations.get(input.name);
  const output: unknown = await handler(input.args, {
    operationId: input.id,
    attempt,
    subject: input.request.subject,
    action: input.request.action,
    resource: input.request.resource,
    decision: input.decision,
    approval: input.approval,
  });
  return isCostedResult(output) ? output : { result: output };
}
