import type { ApprovalDecision } from '../../src/operation/schema.js';
import type { OperationStatusView } from '../../src/operation/types.js';
import type { ApprovalGateway } from '../../src/slack/types.js';

/** An ApprovalGateway that serves canned workflow states and records every signal. */
export class RecordingGateway implements ApprovalGateway {
  readonly workflows = new Map<string, { view: OperationStatusView; running: boolean }>();
  readonly described: string[] = [];
  readonly decisions: { operationId: string; decision: ApprovalDecision }[] = [];
  failDescribe: Error | undefined;

  set(view: OperationStatusView, running = true): void {
    this.workflows.set(view.id, { view, running });
  }

  async describe(operationId: string) {
    this.described.push(operationId);
    if (this.failDescribe) throw this.failDescribe;
    return this.workflows.get(operationId) ?? null;
  }

  async decide(operationId: string, decision: ApprovalDecision): Promise<void> {
    this.decisions.push({ operationId, decision });
  }

  reset(): void {
    this.workflows.clear();
    this.described.length = 0;
    this.decisions.length = 0;
    this.failDescribe = undefined;
  }
}
