import { GovernanceClient, OperationDeniedError, type PolicySubject } from '../../src/index.js';
import { runGraph, type GraphNode } from './graph.js';

/**
 * A reporting agent as a graph: read public sales data, summarise it with an expensive model
 * (the enterprise preset's expensive_model_approval asks a manager first), try to post it with a
 * shell tool (blocked by block_dangerous_tools), and fall back to a safe tool.
 */
export interface ReportState {
  runId: string;
  rows?: number[];
  summary?: string;
  published?: string;
  log: string[];
}

export interface ReportGraphHooks {
  /** Called when a node waits for a human; the operation id is what approvers act on. */
  onApprovalNeeded?: (operationId: string) => void | Promise<void>;
}

export const agent: PolicySubject = { identifier: 'agent-reporter', roles: ['analyst'], attributes: { team_id: 'team-platform' } };

export function reportGraph(client: GovernanceClient, hooks: ReportGraphHooks = {}): Record<string, GraphNode<ReportState>> {
  return {
    fetch: {
      async run(state) {
        const decision = await client.authorize({ id: `${state.runId}-fetch`, subject: agent, action: 'data:read', resource: 'dataset://public/sales' });
        state.log.push(`fetch: ${decision.decision.effect} by ${decision.decision.rule}`);
        state.rows = [120, 98, 143];
        return 'summarise';
      },
    },
    summarise: {
      async run(state) {
        const id = `${state.runId}-summarise`;
        const handle = await client.submit({ id, subject: agent, action: 'agent:model_invoke', resource: 'model://gpt-4', estimatedCost: 2.5 });
        const status = await waitUntilDecided(client, id);
        if (status === 'awaiting_approval') await hooks.onApprovalNeeded?.(id);
        const result = await handle.result();
        const approvers = result.approval?.votes.map((vote) => vote.approver.identifier).join(', ');
        state.log.push(`summarise: approved by ${approvers ?? 'policy'}`);
        state.summary = `sales total ${state.rows!.reduce((a, b) => a + b, 0)}`;
        return 'publish_via_shell';
      },
    },
    publish_via_shell: {
      async run(state) {
        try {
          await client.authorize({ id: `${state.runId}-shell`, subject: agent, action: 'agent:tool_execute', resource: 'tool://shell_execute' });
          state.published = 'shell';
          return null;
        } catch (error) {
          if (!(error instanceof OperationDeniedError)) throw error;
          state.log.push(`publish_via_shell: denied by ${error.decision?.rule}; falling back`);
          return 'publish_via_safe_tool';
        }
      },
    },
    publish_via_safe_tool: {
      async run(state) {
        const decision = await client.authorize({ id: `${state.runId}-publish`, subject: agent, action: 'agent:tool_execute', resource: 'tool://web_search' });
        state.log.push(`publish_via_safe_tool: ${decision.decision.effect} by ${decision.decision.rule}`);
        state.published = 'web_search';
        return null;
      },
    },
  };
}

async function waitUntilDecided(client: GovernanceClient, id: string): Promise<string> {
  for (;;) {
    const { status } = await client.status(id);
    if (status !== 'evaluating') return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function runReportGraph(client: GovernanceClient, runId: string, hooks?: ReportGraphHooks): Promise<ReportState> {
  return runGraph(reportGraph(client, hooks), 'fetch', { runId, log: [] });
}
