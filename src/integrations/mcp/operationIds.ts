import { WorkflowNotFoundError } from '@temporalio/client';
import type { GovernanceClient } from '../../client/GovernanceClient.js';
import type { PolicySubject } from '../../policy/types.js';
import { derivedOperationId } from '../operationId.js';

/** `_meta` key a client sets to make a call its own operation (two identical calls, two runs). */
export const IDEMPOTENCY_KEY = 'tollgate/idempotency-key';

export interface ToolCallIdentity {
  subject: PolicySubject;
  server: string;
  tool: string;
  args: unknown;
}

/**
 * The operation a tools/call belongs to. The same call gets the same operation, so a client that
 * disconnects and calls again awaits the first run instead of starting a second:
 * - with an idempotency key in `_meta`, the key (with subject, server, tool and arguments) names it;
 * - without one, identical calls are one operation while one of them is still running (waiting for
 *   approval, for instance, however long that takes), and for `windowMs` after it ended; a later
 *   identical call is a new operation.
 */
export async function toolCallOperationId(client: GovernanceClient, call: ToolCallIdentity, options: { idempotencyKey?: string; windowMs: number; now?: number }): Promise<string> {
  const identity = { subject: call.subject, server: call.server, tool: call.tool, args: call.args ?? {} };
  if (options.idempotencyKey !== undefined) return derivedOperationId('mcp-k', { ...identity, key: options.idempotencyKey });
  const family = derivedOperationId('mcp', identity);
  const now = options.now ?? Date.now();
  const bucket = Math.floor(now / options.windowMs);
  const running = await runningOperation(client, family);
  if (running) return running;
  const previous = `${family}-${bucket - 1}`;
  if (await endedWithin(client, previous, now, options.windowMs)) return previous;
  return `${family}-${bucket}`;
}

async function runningOperation(client: GovernanceClient, family: string): Promise<string | undefined> {
  const query = `WorkflowId STARTS_WITH "${family}-" AND ExecutionStatus = "Running"`;
  for await (const execution of client.temporal.workflow.list({ query, pageSize: 1 })) return execution.workflowId;
  return undefined;
}

async function endedWithin(client: GovernanceClient, id: string, now: number, windowMs: number): Promise<boolean> {
  try {
    const description = await client.temporal.workflow.getHandle(id).describe();
    return description.closeTime !== undefined && now - description.closeTime.getTime() < windowMs;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
