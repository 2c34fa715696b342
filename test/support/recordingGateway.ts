import type { OperationStatusView } from '../../src/operation/types.js';
import type { ApprovalGateway, SlackDecision } from '../../src/slack/types.js';

/** An ApprovalGateway that serves canned workflow states and records every decision it is given. */
export class RecordingGateway implements ApprovalGateway {
  readonly workflows = new Map<string, { view: OperationStatusView; running: boolean }>();
  readonly described: string[] = [];
  readonly decisions: SlackDecision[] = [];
  failDescribe: Error | undefined;

  set(view: OperationStatusView, running = true): void {
    this.workflows.set(view.id, { view, running });
  }

  async describe(operationId: string) {
    this.described.push(operationId);
    if (this.failDescribe) throw this.failDescribe;
    return this.workflows.get(operationId) ?? null;
  }

  async decide(decision: SlackDecision) {
    this.decisions.push(decision);
    return { ok: true as const, result: { counted: true, reason: 'recorded', approvals: { have: 1, need: 1 } } };
  }

  reset(): void {
    this.workflows.clear();
    this.described.length = 0;
    this.decisions.length = 0;
    this.failDescribe = undefined;
  }
}
