import type { GovernanceClient } from '../../src/client/GovernanceClient.js';
import type { OperationStatusView } from '../../src/operation/types.js';

/** The approver every integration test configures: a manager, so the policy lets her decide. */
export const TEST_APPROVER = { identifier: 'alice', roles: ['manager'] };

/**
 * Approve an operation the way a person would. The one place integration tests approve, so that
 * moving approvals to the service's decision API changes this function and nothing else.
 */
export function approveOperation(client: GovernanceClient, id: string): Promise<OperationStatusView> {
  return client.approve(id, TEST_APPROVER.identifier);
}
