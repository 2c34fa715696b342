import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateText, jsonSchema, stepCountIs, tool, type ModelMessage } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { governTools } from '../../../src/integrations/ai-sdk/index.js';
import { CallRefusedError } from '../../../src/integrations/refusal.js';
import { startGovernedStack, type GovernedStack } from '../../support/governedStack.js';
import { INTEGRATION_POLICY } from '../../support/integrationPolicy.js';
import { approveOperation } from '../../support/approve.js';
import { AuditTrail } from '../../../src/audit/index.js';
import { eventually } from '../../support/governance.js';

let stack: GovernedStack;
beforeAll(async () => {
  stack = await startGovernedStack(INTEGRATION_POLICY);
});
afterAll(async () => {
  await stack?.close();
});

const agent = { identifier: 'support-bot', roles: ['agent'] };
let sequence = 0;

/** A model that calls one tool, then answers with whatever the tool result said. */
function modelCalling(toolName: string, input: unknown) {
  const toolCallId = `call-${++sequence}`;
  return {
    toolCallId,
    model: new MockLanguageModelV3({
      doGenerate: [
        {
          content: [{ type: 'tool-call', toolCallId, toolName, input: JSON.stringify(input) }],
          finishReason: { unified: 'tool-calls', raw: undefined },
          usage: usage(), warnings: [],
        },
        { content: [{ type: 'text', text: 'done' }], finishReason: { unified: 'stop', raw: undefined }, usage: usage(), warnings: [] },
      ],
    }),
  };
}
const usage = () => ({
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
});

/** The tool result message the model was sent on its second step. */
function toolOutputSeenByModel(model: MockLanguageModelV3): unknown {
  const prompt = model.doGenerateCalls[1]?.prompt as ModelMessage[] | undefined;
  const toolMessage = prompt?.find((message) => message.role === 'tool');
  return toolMessage && Array.isArray(toolMessage.content) ? (toolMessage.content[0] as { output: unknown }).output : undefined;
}

function supportTools(ran: string[]) {
  return {
    search_orders: tool({
      description: 'Search orders by customer name',
      inputSchema: jsonSchema<{ query: string }>({ type: 'object', properties: { query: { type: 'string' } }, required: ['query'] }),
      execute: async ({ query }) => {
        ran.push(`search_orders:${query}`);
        return { orders: [`order for ${query}`] };
      },
    }),
    shell: tool({
      description: 'Run a shell command',
      inputSchema: jsonSchema<{ command: string }>({ type: 'object', properties: { command: { type: 'string' } }, required: ['command'] }),
      execute: async ({ command }) => {
        ran.push(`shell:${command}`);
        return 'ran';
      },
    }),
    refund: tool({
      description: 'Refund an order',
      inputSchema: jsonSchema<{ order: string; amount: number }>({ type: 'object', properties: { order: { type: 'string' }, amount: { type: 'number' } }, required: ['order', 'amount'] }),
      execute: async ({ order, amount }) => {
        ran.push(`refund:${order}:${amount}`);
        return { refunded: amount };
      },
    }),
  };
}

describe('governTools (Vercel AI SDK)', () => {
  it('runs an allowed tool and gives the model its result', async () => {
    const ran: string[] = [];
    const { model } = modelCalling('search_orders', { query: 'Ada Lovelace' });
    const result = await generateText({ model, prompt: 'find Ada', tools: governTools(supportTools(ran), { client: stack.client, subject: agent }), stopWhen: stepCountIs(3) });
    expect(ran).toEqual(['search_orders:Ada Lovelace']);
    expect(result.steps[0].toolResults[0]).toMatchObject({ toolName: 'search_orders', output: { orders: ['order for Ada Lovelace'] } });
    expect(toolOutputSeenByModel(model)).toEqual({ type: 'json', value: { orders: ['order for Ada Lovelace'] } });
    expect(result.text).toBe('done');
  });

  it('turns a denial into a tool error the model reads, naming the rule, and never runs the tool', async () => {
    const ran: string[] = [];
    const { model } = modelCalling('shell', { command: 'ls' });
    const result = await generateText({ model, prompt: 'list files', tools: governTools(supportTools(ran), { client: stack.client, subject: agent }), stopWhen: stepCountIs(3) });
    expect(ran).toEqual([]);
    const [toolError] = result.steps[0].content.filter((part) => part.type === 'tool-error');
    expect(toolError.error).toBeInstanceOf(CallRefusedError);
    expect((toolError.error as CallRefusedError).refusal).toMatchObject({ outcome: 'denied', rule: 'block_shell', policySet: 'integration-tests' });
    const seen = toolOutputSeenByModel(model) as { type: string; value: string };
    expect(seen.type).toBe('error-text');
    expect(seen.value).toContain('rule block_shell');
    expect(seen.value).toContain('Agents may not run shell commands');
  });

  it('judges the tool input with the security detectors: an injection in query is denied', async () => {
    const ran: string[] = [];
    const { model } = modelCalling('search_orders', { query: "1' OR '1'='1" });
    const result = await generateText({ model, prompt: 'find all', tools: governTools(supportTools(ran), { client: stack.client, subject: agent }), stopWhen: stepCountIs(3) });
    expect(ran).toEqual([]);
    const seen = toolOutputSeenByModel(model) as { type: string; value: string };
    expect(seen.value).toContain('rule block_sql_injection');
    expect(seen.value).toContain('Pass the search text as plain words');
    expect(result.text).toBe('done');
  });

  it('waits for an approval, then runs the tool once', async () => {
    const ran: string[] = [];
    const waited: string[] = [];
    const { model } = modelCalling('refund', { order: 'A-17', amount: 30 });
    const tools = governTools(supportTools(ran), {
      client: stack.client, subject: agent,
      onAwaitingApproval: async ({ toolName, view }) => {
        waited.push(toolName);
        expect(ran).toEqual([]);
        await approveOperation(stack.client, view.id);
      },
    });
    const result = await generateText({ model, prompt: 'refund A-17', tools, stopWhen: stepCountIs(3) });
    expect(waited).toEqual(['refund']);
    expect(ran).toEqual(['refund:A-17:30']);
    expect(toolOutputSeenByModel(model)).toEqual({ type: 'json', value: { refunded: 30 } });
  });

  it('records the tool input in the audit trail with the decision', async () => {
    const auditee = { identifier: 'audited-bot' };
    const { model } = modelCalling('search_orders', { query: 'audit me' });
    await generateText({ model, prompt: 'x', tools: governTools(supportTools([]), { client: stack.client, subject: auditee }), stopWhen: stepCountIs(3) });
    const decisions = await new AuditTrail(stack.db.pool).query({ actor: 'audited-bot', type: 'policy_decision' });
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ action: 'agent:tool_execute', resource: 'tool://search_orders', outcome: 'allow', rule: 'allow_agent_tools' });
    expect(decisions[0].data.context).toMatchObject({ tool: 'search_orders', tool_arguments: { query: 'audit me' } });
  });

  it('keeps a streaming tool streaming: every preliminary result still comes through, after the gate', async () => {
    const tools = governTools({
      progress_report: tool({
        inputSchema: jsonSchema<{ steps: number }>({ type: 'object', properties: { steps: { type: 'number' } }, required: ['steps'] }),
        async *execute({ steps }) {
          for (let step = 1; step <= steps; step++) yield { step };
        },
      }),
    }, { client: stack.client, subject: agent });
    // What the AI SDK's executeTool does with a tool's execute: an async iterable streams preliminary results.
    const output = tools.progress_report.execute!({ steps: 3 }, { toolCallId: 'stream-1', messages: [] });
    const seen: unknown[] = [];
    for await (const part of output as AsyncIterable<unknown>) seen.push(part);
    expect(seen).toEqual([{ step: 1 }, { step: 2 }, { step: 3 }]);
  });

  it('cancels the operation when the generation is aborted while it waits for approval', async () => {
    const ran: string[] = [];
    const { model } = modelCalling('refund', { order: 'B-2', amount: 5 });
    const abort = new AbortController();
    let operationId = '';
    const tools = governTools(supportTools(ran), {
      client: stack.client, subject: agent,
      onAwaitingApproval: ({ view }) => {
        operationId = view.id;
        abort.abort(new Error('user stopped the chat'));
      },
    });
    await generateText({ model, prompt: 'refund B-2', tools, abortSignal: abort.signal, stopWhen: stepCountIs(3) }).catch(() => undefined);
    expect(operationId).not.toBe('');
    await eventually(async () => (await stack.client.status(operationId)).status === 'cancelled', 'the operation to be cancelled');
    expect(ran).toEqual([]);
  });
});
