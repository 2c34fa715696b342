import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { governedNode, type PolicySubject, type TollgateGraphConfig } from '../../src/index.js';

/**
 * A reporting agent as a LangGraph graph: read public sales data, summarise it with an expensive
 * model (the enterprise preset's expensive_model_approval asks a manager first), try to post it
 * with a shell tool (blocked by block_dangerous_tools), and fall back to a safe tool. Every node
 * is a governedNode: its body runs only once Tollgate lets it.
 */
export const ReportState = Annotation.Root({
  rows: Annotation<number[] | undefined>,
  summary: Annotation<string | undefined>,
  published: Annotation<string | undefined>,
  /** Set when Tollgate refused the shell tool: the edge after it routes on this. */
  shellRefused: Annotation<boolean | undefined>,
  log: Annotation<string[]>({ reducer: (log, lines) => log.concat(lines), default: () => [] }),
});
export type ReportState = typeof ReportState.State;
type ReportUpdate = typeof ReportState.Update;

export const agent: PolicySubject = { identifier: 'agent-reporter', roles: ['analyst'], attributes: { team_id: 'team-platform' } };

export function reportGraph() {
  return new StateGraph(ReportState)
    .addNode('fetch', governedNode<ReportState, ReportUpdate>(async (_state, _config, gate) => ({
      rows: [120, 98, 143],
      log: [`fetch: ${gate.decision.effect} by ${gate.decision.rule}`],
    }), { action: 'data:read', resource: 'dataset://public/sales' }))
    .addNode('summarise', governedNode<ReportState, ReportUpdate>(async (state, _config, gate) => ({
      summary: `sales total ${state.rows!.reduce((a, b) => a + b, 0)}`,
      log: [`summarise: approved by ${gate.approval?.votes.map((vote) => vote.approver.identifier).join(', ') ?? 'policy'}`],
    }), { action: 'agent:model_invoke', resource: 'model://gpt-4', estimatedCost: 2.5 }))
    .addNode('publish_via_shell', governedNode<ReportState, ReportUpdate>(async () => ({ published: 'shell' }), {
      action: 'agent:tool_execute', resource: 'tool://shell_execute',
      onRefused: (error) => ({ shellRefused: true, log: [`publish_via_shell: ${error.refusal.outcome} by ${error.refusal.rule}; falling back`] }),
    }))
    .addNode('publish_via_safe_tool', governedNode<ReportState, ReportUpdate>(async (_state, _config, gate) => ({
      published: 'web_search',
      log: [`publish_via_safe_tool: ${gate.decision.effect} by ${gate.decision.rule}`],
    }), { action: 'agent:tool_execute', resource: 'tool://web_search' }))
    .addEdge(START, 'fetch')
    .addEdge('fetch', 'summarise')
    .addEdge('summarise', 'publish_via_shell')
    .addConditionalEdges('publish_via_shell', (state) => (state.shellRefused ? 'publish_via_safe_tool' : END), ['publish_via_safe_tool', END])
    .addEdge('publish_via_safe_tool', END)
    .compile();
}

/** One run of the graph for the reporting agent; `tollgate` says who it acts for and how to reach Tollgate. */
export function runReportGraph(tollgate: Omit<TollgateGraphConfig, 'subject'>, runId: string): Promise<ReportState> {
  return reportGraph().invoke({}, { configurable: { thread_id: runId, tollgate: { ...tollgate, subject: agent } } });
}
