import { WorkflowNotFoundError } from '@temporalio/client';
import type { CreateTaskOptions, TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type { CallToolResult, Request, RequestId, Result, Task } from '@modelcontextprotocol/sdk/types.js';
import type { GovernanceClient } from '../../client/GovernanceClient.js';
import { OperationNotFoundError } from '../../client/errors.js';
import type { OperationStatusView } from '../../operation/types.js';
import { progressText } from '../refusal.js';

/** How often a client should poll tasks/get: approvals take minutes, not milliseconds. */
export const TASK_POLL_INTERVAL_MS = 2_000;

export interface OperationTaskStoreOptions {
  client: GovernanceClient;
  /** Whether this connection may see the operation: its own agent's calls to this upstream only. */
  owns(view: OperationStatusView): boolean;
  /** The tool result (or refusal) of an ended operation. */
  resultOf(operationId: string): Promise<CallToolResult>;
}

/**
 * MCP tasks backed by governed operations: the task id is the operation id and Temporal holds the
 * state, so a task outlives the gateway process and the client's session, and every gateway
 * serving the same agent sees it. The gateway never stores results itself: they are the workflow's.
 */
export class OperationTaskStore implements TaskStore {
  constructor(private readonly options: OperationTaskStoreOptions) {}

  async createTask(params: CreateTaskOptions, _requestId: RequestId, _request: Request): Promise<Task> {
    const operationId = params.context?.operationId;
    if (typeof operationId !== 'string') throw new Error('a governed task is created for an operation: pass context.operationId');
    const task = await this.getTask(operationId);
    if (!task) throw new Error(`operation ${operationId} is not visible to this connection`);
    return { ...task, ttl: params.ttl ?? null };
  }

  async getTask(taskId: string): Promise<Task | null> {
    const view = await this.ownedView(taskId);
    if (!view) return null;
    const description = await this.options.client.temporal.workflow.getHandle(taskId).describe();
    const createdAt = description.startTime.toISOString();
    const lastUpdatedAt = description.closeTime?.toISOString() ?? view.approval?.votes.at(-1)?.at ?? view.approval?.requestedAt ?? createdAt;
    return { taskId, ...taskStatusOf(view), ttl: null, createdAt, lastUpdatedAt, pollInterval: TASK_POLL_INTERVAL_MS };
  }

  async getTaskResult(taskId: string): Promise<Result> {
    if (!(await this.ownedView(taskId))) throw new Error(`Task not found: ${taskId}`);
    return this.options.resultOf(taskId);
  }

  /** Results are the workflow's; nothing else may write one. */
  async storeTaskResult(taskId: string): Promise<void> {
    throw new Error(`task ${taskId}: results of governed operations come from the operation itself`);
  }

  /** tasks/cancel cancels the operation: its approval request closes and its budget reservation is released. */
  async updateTaskStatus(taskId: string, status: Task['status']): Promise<void> {
    if (status !== 'cancelled') return;
    if (!(await this.ownedView(taskId))) throw new Error(`Task not found: ${taskId}`);
    await this.options.client.temporal.workflow.getHandle(taskId).cancel();
  }

  /** Not offered (the capability is not advertised): a client keeps the task ids it was given. */
  async listTasks(): Promise<{ tasks: Task[] }> {
    throw new Error('the Tollgate gateway does not list tasks; poll each task by the id tools/call returned');
  }

  private async ownedView(taskId: string): Promise<OperationStatusView | null> {
    try {
      const view = await this.options.client.status(taskId);
      return this.options.owns(view) ? view : null;
    } catch (error) {
      if (error instanceof OperationNotFoundError || error instanceof WorkflowNotFoundError) return null;
      throw error;
    }
  }
}

/** Approval waits are `working` (the client has nothing to supply); a refused tool call is `failed`, as MCP defines for isError results. */
export function taskStatusOf(view: OperationStatusView): Pick<Task, 'status' | 'statusMessage'> {
  switch (view.status) {
    case 'evaluating':
    case 'awaiting_approval':
    case 'executing':
      return { status: 'working', statusMessage: progressText(view) };
    case 'completed':
      return { status: 'completed' };
    case 'cancelled':
      return { status: 'cancelled', statusMessage: view.error ?? 'cancelled' };
    default:
      return { status: 'failed', statusMessage: view.error ?? view.status };
  }
}
