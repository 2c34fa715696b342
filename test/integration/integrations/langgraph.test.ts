import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Annotation, END, MemorySaver, START, StateGraph } from '@langchain/langgraph';
import { governedNode } from '../../../src/integrations/langgraph/index.js';
import { CallRefusedError } from '../../../src/integrations/refusal.js';
import { startGovernedStack, type GovernedStack } from '../../support/governedStack.js';
import { INTEGRATION_POLICY } from '../../support/integrationPolicy.js';
import { approveOperation } from '../../support/approve.js';
import { eventually } from '../../support/governance.js';

let stack: GovernedStack;
beforeAll(async () => {
  stack = await startGovernedStack(INTEGRATION_POLICY);
});
afterAll(async () => {
  await stack?.close();
});

const agent = { identifier: 'graph-bot', roles: ['agent'] };
const State = Annotation.Root({
  query: Annotation<string>,
  ran: Annotation<string[]>({ reducer: (all, more) => all.concat(more), default: () => [] }),
  refused: Annotation<string | undefined>,
});
type State = typeof State.State;
type Update = typeof State.Update;

/** search (its query judged by the detectors) then, unless refused, refund (needs a manager). */
function ordersGraph(options: { withFallback: boolean; checkpointer?: MemorySaver }) {
  return new StateGraph(State)
    .addNode('search', governedNode<State, Update>(async (state) => ({ ran: [`search:${state.query}`] }), {
      action: 'agent:tool_execute', resource: 'tool://search_orders', args: (state) => ({ query: state.query }),
      ...(options.withFallback ? { onRefused: (error: CallRefusedError) => ({ refused: error.refusal.rule ?? error.refusal.outcome }) } : {}),
    }))
    .addNode('refund', governedNode<State, Update>(async () => ({ ran: ['refund'] }), { action: 'agent:tool_execute', resource: () => 'tool://refund' }))
    .addNode('fallback', async (state: State) => ({ ran: [`fallback after ${state.refused}`] }))
    .addEdge(START, 'search')
    .addConditionalEdges('search', (state) => (state.refused ? 'fallback' : 'refund'), ['fallback', 'refund'])
    .addEdge('refund', END)
    .addEdge('fallback', END)
    .compile(options.checkpointer ? { checkpointer: options.checkpointer } : {});
}

describe('governedNode (LangGraph)', () => {
  it('runs a node whose operation is allowed, and routes a refusal to a fallback edge', async () => {
    const approved: string[] = [];
    const tollgate = {
      client: stack.client, subject: agent,
      onAwaitingApproval: async (node: string, view: { id: string }) => {
        approved.push(node);
        await approveOperation(stack.client, view.id);
      },
    };
    const allowed = await ordersGraph({ withFallback: true }).invoke({ query: 'Ada' }, { configurable: { tollgate } });
    expect(allowed.ran).toEqual(['search:Ada', 'refund']);
    expect(approved).toEqual(['refund']);

    const refused = await ordersGraph({ withFallback: true }).invoke({ query: "1' OR '1'='1" }, { configurable: { tollgate } });
    expect(refused.ran).toEqual(['fallback after block_sql_injection']);
  });

  it('throws a CallRefusedError out of the run when the node has no fallback, without running it', async () => {
    const error = await ordersGraph({ withFallback: false })
      .invoke({ query: "x' OR 'a'='a" }, { configurable: { tollgate: { client: stack.client, subject: agent } } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CallRefusedError);
    expect((error as CallRefusedError).call).toBe('search');
    expect((error as CallRefusedError).refusal).toMatchObject({ outcome: 'denied', rule: 'block_sql_injection', policySet: 'integration-tests' });
  });

  it('says what is missing when a run gives no client or subject', async () => {
    const error = await ordersGraph({ withFallback: false }).invoke({ query: 'Ada' }).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('governedNode search: needs a client, a subject');
  });

  it('a run resumed from its checkpoint finds the approval it asked for instead of asking again', async () => {
    const checkpointer = new MemorySaver();
    const graph = ordersGraph({ withFallback: false, checkpointer });
    const config = { configurable: { thread_id: `resume-${Date.now()}`, tollgate: { client: stack.client, subject: agent } } };
    let waiting = '';
    // The process "dies" while the refund waits: the run fails, the operation keeps waiting.
    const first = await graph.invoke({ query: 'Grace' }, {
      configurable: { ...config.configurable, tollgate: { ...config.configurable.tollgate, onAwaitingApproval: (_node: string, view: { id: string }) => {
        waiting = view.id;
        throw new Error('worker lost');
      } } },
    }).catch((caught: unknown) => caught);
    expect((first as Error).message).toBe('worker lost');
    expect((await stack.client.status(waiting)).status).toBe('awaiting_approval');
    await approveOperation(stack.client, waiting);
    await eventually(async () => (await stack.client.status(waiting)).status === 'completed', 'the approved gate to open');

    const requestsBefore = stack.approvals.events.filter((event) => event.kind === 'requested').length;
    const resumed = await graph.invoke(null, config);
    expect(resumed.ran).toEqual(['search:Grace', 'refund']);
    expect(stack.approvals.events.filter((event) => event.kind === 'requested')).toHaveLength(requestsBefore);
    expect(stack.approvals.for(waiting).filter((event) => event.kind === 'requested')).toHaveLength(1);
  });
});
