import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, Runner, Usage, tool, type AgentInputItem, type Model, type ModelRequest, type ModelResponse } from '@openai/agents-core';
import { governAgentTools } from '../../../src/integrations/openai-agents/index.js';
import { startGovernedStack, type GovernedStack } from '../../support/governedStack.js';
import { INTEGRATION_POLICY } from '../../support/integrationPolicy.js';
import { approveOperation } from '../../support/approve.js';

let stack: GovernedStack;
beforeAll(async () => {
  stack = await startGovernedStack(INTEGRATION_POLICY);
});
afterAll(async () => {
  await stack?.close();
});

const agentSubject = { identifier: 'openai-bot', roles: ['agent'] };

/**
 * A Model that needs no network: its first response calls one tool, its second answers with the
 * tool output it was sent, so the test can read what the model saw.
 */
class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = [];
  constructor(private readonly call: { name: string; arguments: unknown }) {}
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    if (this.requests.length === 1) {
      return { usage: new Usage(), output: [{ type: 'function_call', callId: 'call_1', name: this.call.name, arguments: JSON.stringify(this.call.arguments), status: 'completed' }] };
    }
    return { usage: new Usage(), output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `model saw: ${this.toolOutput()}` }] }] };
  }
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not used');
  }
  /** The function_call_result the SDK sent back for call_1. */
  toolOutput(): string {
    const input = this.requests.at(-1)?.input as AgentInputItem[];
    const result = input.find((item) => item.type === 'function_call_result') as { output: { type: string; text: string } | string } | undefined;
    return typeof result?.output === 'string' ? result.output : result?.output.text ?? '';
  }
}

function supportTools(ran: string[]) {
  return [
    tool({ name: 'search_orders', description: 'Search orders', parameters: z.object({ query: z.string() }), execute: async ({ query }) => { ran.push(`search:${query}`); return `orders for ${query}`; } }),
    tool({ name: 'shell', description: 'Run a command', parameters: z.object({ command: z.string() }), execute: async ({ command }) => { ran.push(`shell:${command}`); return 'ran'; } }),
    tool({ name: 'refund', description: 'Refund an order', parameters: z.object({ order: z.string() }), execute: async ({ order }) => { ran.push(`refund:${order}`); return `refunded ${order}`; } }),
  ];
}

async function runAgent(model: ScriptedModel, tools: ReturnType<typeof supportTools>) {
  const agent = new Agent({ name: 'support', instructions: 'help', model, tools });
  return new Runner({ tracingDisabled: true }).run(agent, 'help me');
}

describe('governAgentTools (OpenAI Agents SDK)', () => {
  it('runs an allowed tool and gives the model its output', async () => {
    const ran: string[] = [];
    const model = new ScriptedModel({ name: 'search_orders', arguments: { query: 'Ada' } });
    const result = await runAgent(model, governAgentTools(supportTools(ran), { client: stack.client, subject: agentSubject }));
    expect(ran).toEqual(['search:Ada']);
    expect(result.finalOutput).toBe('model saw: orders for Ada');
  });

  it('returns a denial to the model as the tool output, naming the rule, and never runs the tool', async () => {
    const ran: string[] = [];
    const model = new ScriptedModel({ name: 'shell', arguments: { command: 'ls' } });
    const result = await runAgent(model, governAgentTools(supportTools(ran), { client: stack.client, subject: agentSubject }));
    expect(ran).toEqual([]);
    expect(result.finalOutput).toContain('Tollgate denied this call (rule block_shell, policy integration-tests@');
    expect(result.finalOutput).toContain('Agents may not run shell commands');
  });

  it('judges the arguments with the detectors: an injection in query is denied', async () => {
    const ran: string[] = [];
    const model = new ScriptedModel({ name: 'search_orders', arguments: { query: "1' OR '1'='1" } });
    const result = await runAgent(model, governAgentTools(supportTools(ran), { client: stack.client, subject: agentSubject }));
    expect(ran).toEqual([]);
    expect(result.finalOutput).toContain('rule block_sql_injection');
  });

  it('waits for an approval, then runs the tool', async () => {
    const ran: string[] = [];
    const waited: string[] = [];
    const model = new ScriptedModel({ name: 'refund', arguments: { order: 'A-17' } });
    const tools = governAgentTools(supportTools(ran), {
      client: stack.client, subject: agentSubject,
      onAwaitingApproval: async ({ toolName, callId, view }) => {
        waited.push(`${toolName}:${callId}`);
        expect(ran).toEqual([]);
        await approveOperation(stack.client, view.id);
      },
    });
    const result = await runAgent(model, tools);
    expect(waited).toEqual(['refund:call_1']);
    expect(ran).toEqual(['refund:A-17']);
    expect(result.finalOutput).toBe('model saw: refunded A-17');
  });
});
