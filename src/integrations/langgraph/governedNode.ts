import { randomUUID } from 'node:crypto';
import type { GovernanceClient } from '../../client/GovernanceClient.js';
import { OperationOutcomeError } from '../../client/errors.js';
import type { OperationResult, OperationStatusView } from '../../operation/types.js';
import type { PolicySubject } from '../../policy/types.js';
import { passGate } from '../gate.js';
import { derivedOperationId } from '../operationId.js';
import { CallRefusedError } from '../refusal.js';

/**
 * What a graph run gives governed nodes, under `configurable.tollgate` of `graph.invoke(input,
 * config)`: a compiled graph is defined once and each run says who it acts for.
 */
export interface TollgateGraphConfig {
  client: GovernanceClient;
  subject: PolicySubject;
  /** Told once per node that waits for a person; `view.id` is what approvers act on. */
  onAwaitingApproval?: (node: string, view: OperationStatusView) => void | Promise<void>;
}

/** The part of LangGraph's RunnableConfig a governed node reads. */
export interface GraphRunConfig {
  configurable?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  signal?: AbortSignal;
}

export interface GovernedNodeOptions<State, Update> {
  /** The operation's name (audit trail, UI); default: the LangGraph node name. */
  name?: string;
  action: string;
  resource: string | ((state: State) => string);
  /** What the node's side effect acts on, judged by the security detectors. */
  args?: (state: State) => unknown;
  context?: (state: State) => Record<string, unknown>;
  estimatedCost?: number | ((state: State) => number | undefined);
  /** Default: `configurable.tollgate.subject` of the run. */
  subject?: PolicySubject;
  /** Default: `configurable.tollgate.client` of the run. */
  client?: GovernanceClient;
  /**
   * A refusal as a state update (or a LangGraph Command), so a conditional edge can route to a
   * fallback. Without it the node throws the CallRefusedError, which ends the run.
   */
  onRefused?: (error: CallRefusedError, state: State) => Update | Promise<Update>;
}

/** A node body; the third argument is the gate's result: the decision and who approved. */
export type GovernedNodeBody<State, Update> = (state: State, config: GraphRunConfig, gate: OperationResult) => Update | Promise<Update>;

/**
 * A LangGraph node whose side effect is a governed operation: the body runs only once Tollgate
 * allows it (after approval if the policy asks for one). The operation id comes from the node's
 * task in the run, so a run resumed from a checkpoint finds the approval it already asked for
 * instead of asking again. The body itself runs in the graph's process: Tollgate governs whether
 * it runs, and the body should be idempotent if the graph may retry it.
 */
export function governedNode<State, Update>(body: GovernedNodeBody<State, Update>, options: GovernedNodeOptions<State, Update>) {
  return async (state: State, config: GraphRunConfig = {}): Promise<Update> => {
    const run = (config.configurable?.tollgate ?? {}) as Partial<TollgateGraphConfig>;
    const client = options.client ?? run.client;
    const subject = options.subject ?? run.subject;
    const node = typeof config.metadata?.langgraph_node === 'string' ? config.metadata.langgraph_node : undefined;
    const name = options.name ?? node;
    if (!client || !subject || !name) {
      throw new TypeError(`governedNode${name ? ` ${name}` : ''}: needs ${[!client && 'a client', !subject && 'a subject', !name && 'a name'].filter(Boolean).join(', ')}: pass them in its options or in graph.invoke(input, { configurable: { tollgate: { client, subject } } })`);
    }
    const resource = typeof options.resource === 'function' ? options.resource(state) : options.resource;
    const args = options.args?.(state);
    const estimatedCost = typeof options.estimatedCost === 'function' ? options.estimatedCost(state) : options.estimatedCost;
    // LangGraph names each node execution (checkpoint namespace and task id): the same on a resumed
    // run, different on every new one, so an approval is never reused by a later run.
    const task = config.metadata?.langgraph_checkpoint_ns;
    const id = typeof task === 'string'
      ? derivedOperationId('lg', { thread: config.configurable?.thread_id ?? null, task, subject, action: options.action, resource, args })
      : `lg-${randomUUID()}`;
    let gate: OperationResult;
    try {
      gate = await passGate(client, {
        id, subject, action: options.action, resource, operation: name, args, estimatedCost,
        context: { ...options.context?.(state), graph_node: name },
      }, {
        signal: config.signal,
        onAwaitingApproval: run.onAwaitingApproval && ((view) => run.onAwaitingApproval!(name, view)),
      });
    } catch (error) {
      if (!(error instanceof OperationOutcomeError)) throw error;
      const refused = new CallRefusedError(name, error);
      if (options.onRefused) return options.onRefused(refused, state);
      throw refused;
    }
    return body(state, config, gate);
  };
}
