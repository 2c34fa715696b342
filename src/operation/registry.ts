import type { PolicyDecision, PolicySubject } from '../policy/types.js';
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
