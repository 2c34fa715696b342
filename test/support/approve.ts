import type { GovernanceClient } from '../../src/client/GovernanceClient.js';
import type { DecideResult } from '../../src/operation/schema.js';
import { testDecider } from './decide.js';

/** The approver every integration test configures: a manager, so the policy lets her decide. */
export const TEST_APPROVER = { identifier: 'alice', roles: ['manager'] };

/**
 * Approve an operation the way a person would: through the service's decision path, which signs
 * the decision and sends the `decide` Update. The one place integration tests approve.
 */
export function approveOperation(client: GovernanceClient, id: string): Promise<DecideResult> {
  return testDecider(client.temporal, client.config).approve(id, TEST_APPROVER.identifier);
}
