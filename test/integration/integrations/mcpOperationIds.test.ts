import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolCallOperationId } from '../../../src/integrations/mcp/operationIds.js';
import { startGovernedStack, type GovernedStack } from '../../support/governedStack.js';
import { INTEGRATION_POLICY } from '../../support/integrationPolicy.js';
import { eventually } from '../../support/governance.js';

let stack: GovernedStack;
beforeAll(async () => {
  stack = await startGovernedStack(INTEGRATION_POLICY);
});
afterAll(async () => {
  await stack?.close();
});

const HOUR = 3_600_000;
const subject = { identifier: 'ids-bot', roles: ['agent'] };
let sequence = 0;
const call = () => ({ subject, server: 'orders-db', tool: 'refund', args: { order: `A-${++sequence}` } });
/** A pending (approval-gated) operation with this id, as the gateway would submit it. */
const submitRefund = (id: string, args: unknown) =>
  stack.client.submit({ id, subject, action: 'agent:tool_execute', resource: 'tool://refund', operation: { name: 'refund', args, gateOnly: true } });
const waiting = (id: string) => eventually(async () => (await stack.client.status(id)).status === 'awaiting_approval', `${id} to wait`);

describe('toolCallOperationId', () => {
  it('gives a call still running its operation back, however long ago it started', async () => {
    const identity = call();
    const startedAt = Date.now();
    const id = await toolCallOperationId(stack.client, identity, { windowMs: HOUR, now: startedAt });
    await submitRefund(id, identity.args);
    await waiting(id);
    // Five windows later (a long approval wait), the same call is still the same operation.
    await eventually(async () => (await toolCallOperationId(stack.client, identity, { windowMs: HOUR, now: startedAt + 5 * HOUR })) === id, 'visibility to show the running operation');
    await stack.client.temporal.workflow.getHandle(id).cancel();
  });

  it('gives an ended call its operation back within the window, and a new one after it', async () => {
    const identity = call();
    const createdAt = Date.now() - HOUR / 2;
    const id = await toolCallOperationId(stack.client, identity, { windowMs: HOUR, now: createdAt });
    await submitRefund(id, identity.args);
    await waiting(id);
    await stack.client.temporal.workflow.getHandle(id).cancel();
    await eventually(async () => (await stack.client.temporal.workflow.getHandle(id).describe()).closeTime, `${id} to close`);
    const closedAt = Date.now();
    // So that the running-operation search no longer finds it, and only the window can.
    await eventually(async () => {
      for await (const _ of stack.client.temporal.workflow.list({ query: `WorkflowId = "${id}" AND ExecutionStatus = "Canceled"` })) return true;
      return false;
    }, 'visibility to see it closed');
    // The next bucket has begun, but the call ended less than a window ago: still the same operation.
    const nextBucket = (Math.floor(createdAt / HOUR) + 1) * HOUR + 1;
    expect(await toolCallOperationId(stack.client, identity, { windowMs: HOUR, now: nextBucket })).toBe(id);
    // Long after it ended, the same call is a new operation.
    const later = await toolCallOperationId(stack.client, identity, { windowMs: HOUR, now: closedAt + 3 * HOUR });
    expect(later).not.toBe(id);
    expect(later.split('-').slice(0, 2)).toEqual(id.split('-').slice(0, 2));
  });

  it('keeps agents, tools, arguments and idempotency keys apart', async () => {
    const base = { ...call(), args: { order: 'same' } };
    const now = Date.now();
    const id = (identity: typeof base, key?: string) => toolCallOperationId(stack.client, identity, { windowMs: HOUR, now, idempotencyKey: key });
    const plain = await id(base);
    expect(await id(base)).toBe(plain);
    expect(await id({ ...base, subject: { identifier: 'other-bot', roles: ['agent'] } })).not.toBe(plain);
    expect(await id({ ...base, tool: 'search' })).not.toBe(plain);
    expect(await id({ ...base, args: { order: 'other' } })).not.toBe(plain);
    expect(await id(base, 'k1')).toBe(await id(base, 'k1'));
    expect(await id(base, 'k1')).not.toBe(await id(base, 'k2'));
    expect(await id(base, 'k1')).toMatch(/^mcp-k-[0-9a-f]{40}$/);
  });
});
