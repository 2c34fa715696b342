import { setTimeout as sleep } from 'node:timers/promises';
import type { GovernanceClient } from '../client/GovernanceClient.js';
import type { OperationInput } from '../operation/schema.js';
import type { OperationResult, OperationStatusView } from '../operation/types.js';

/** A side effect the caller performs itself once Tollgate opens the gate (a tool, a graph node). */
export interface GateRequest extends Omit<OperationInput, 'operation'> {
  /** The operation's name in the audit trail and the UI (the tool or node name). */
  operation: string;
  /** What the side effect acts on: the security detectors judge it. */
  args?: unknown;
}

export interface GateOptions {
  /** Called once when the operation starts waiting for a person; `view.id` is what approvers act on. */
  onAwaitingApproval?: (view: OperationStatusView) => void | Promise<void>;
  /** Aborting stops the wait and cancels the operation, so nobody approves a call that no one awaits. */
  signal?: AbortSignal;
  /** How often to look whether the operation waits for approval (ms). */
  pollMs?: number;
}

/**
 * Pass a governed gate: resolves when the policy allows the call (after approval if it asks for
 * one) and throws the client's typed outcome errors otherwise (OperationDeniedError, ...). The
 * operation is gateOnly: its arguments are judged and audited, but no handler runs in the workflow.
 */
export async function passGate(client: GovernanceClient, request: GateRequest, options: GateOptions = {}): Promise<OperationResult> {
  const { operation, args, ...input } = request;
  const { signal } = options;
  signal?.throwIfAborted();
  const handle = await client.submit({ ...input, operation: { name: operation, args, gateOnly: true } });
  const stop = new AbortController();
  try {
    const waits: Array<Promise<OperationResult | 'aborted' | void>> = [operationResult(client, handle.id, stop.signal)];
    if (signal) waits.push(new Promise((resolve) => signal.addEventListener('abort', () => resolve('aborted'), { once: true })));
    if (options.onAwaitingApproval) waits.push(announceApproval(client, handle.id, options.onAwaitingApproval, options.pollMs ?? 250, stop.signal));
    for (;;) {
      const settled = await Promise.race(waits);
      if (settled === 'aborted') {
        await client.temporal.workflow.getHandle(handle.id).cancel().catch(() => undefined);
        throw signal!.reason;
      }
      if (settled) return settled;
      waits.pop(); // the announcement is done; keep waiting for the outcome
    }
  } finally {
    stop.abort();
  }
}

/** How an agent framework's tools become governed operations: the same for every framework. */
export interface ToolGateOptions {
  client: GovernanceClient;
  /** Who the agent acts for: the policy's subject and the budget's user. */
  subject: OperationInput['subject'];
  /** Default `agent:tool_execute`, which the shipped presets' tool rules match. */
  action?: string;
  /** Default `tool://<name>`. */
  resource?: string | ((toolName: string, input: unknown) => string);
  /** Extra policy context (claims: Tollgate's enrichers compute the facts). */
  context?: Record<string, unknown>;
  /** Estimated cost per tool name, reserved against budgets before the tool runs. */
  costs?: Record<string, number>;
}

/**
 * Pass the gate for one tool call: the arguments are the operation's (the detectors judge them)
 * and are in the context as `tool_arguments`, so approvers see them and the audit trail keeps them.
 */
export function passToolGate(options: ToolGateOptions, toolName: string, args: unknown, gate: GateOptions): Promise<OperationResult> {
  return passGate(options.client, {
    subject: options.subject,
    action: options.action ?? 'agent:tool_execute',
    resource: typeof options.resource === 'function' ? options.resource(toolName, args) : options.resource ?? `tool://${toolName}`,
    context: { ...options.context, tool: toolName, tool_arguments: args },
    operation: toolName,
    args,
    estimatedCost: options.costs?.[toolName],
  }, gate);
}

/**
 * The operation's result, awaited on a long poll that `stop` ends: a caller that stops waiting
 * (a hold timeout, an abort) leaves no call behind on the connection.
 */
export function operationResult(client: GovernanceClient, id: string, stop: AbortSignal): Promise<OperationResult> {
  return client.temporal.withAbortSignal(stop, () => client.handle(id).result());
}

/** Resolves (with nothing) after telling `announce` that the operation waits for approval. */
async function announceApproval(client: GovernanceClient, id: string, announce: NonNullable<GateOptions['onAwaitingApproval']>, pollMs: number, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    const view = await client.status(id);
    if (view.status === 'awaiting_approval') return announce(view);
    if (view.status !== 'evaluating') return;
    await sleep(pollMs, undefined, { signal: stop }).catch(() => undefined);
  }
}
