import type { ApprovalGateway } from '../slack/types.js';
import type { GovernanceClient } from './GovernanceClient.js';
import { OperationNotFoundError } from './errors.js';
import { approvalDecisionSignal } from '../../workflows/definitions.js';

/** The Slack receiver's view of workflows: describe one, and send a decision without waiting on it. */
export function approvalGateway(client: GovernanceClient): ApprovalGateway {
  return {
    async describe(operationId) {
      try {
        const view = await client.status(operationId);
        const description = await client.temporal.workflow.getHandle(operationId).describe();
        return { view, running: description.status.name === 'RUNNING' };
      } catch (error) {
        if (error instanceof OperationNotFoundError) return null;
        throw error;
      }
    },
    async decide(operationId, decision) {
      await client.temporal.workflow.getHandle(operationId).signal(approvalDecisionSignal, decision);
    },
  };
}
