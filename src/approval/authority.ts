import type { PolicyEngine } from '../policy/engine.js';
import type { PolicyRequest, PolicySubject } from '../policy/types.js';
import { namesOf, type DirectoryApprover } from './directory.js';
import { isRequester } from './identity.js';

export const APPROVAL_ACTION = 'approval:decide';

export type AuthorityVerdict = { allowed: true; approver: DirectoryApprover } | { allowed: false; reason: string };

/** The subject a directory entry stands for when it asks for `approval:decide`. */
export const approverSubject = (approver: Pick<DirectoryApprover, 'identifier' | 'roles' | 'attributes' | 'tags'>): PolicySubject =>
  ({ identifier: approver.identifier, roles: approver.roles, attributes: approver.attributes, tags: approver.tags });

/**
 * Whether someone may decide a request: they must be in the directory, must not be the requester
 * under any of their names (case, Unicode width and Slack id included), and the policy must allow
 * them `approval:decide` on the resource, or they hold a role the request was escalated to.
 * The service asks before it signs a decision and the worker asks again before the vote counts.
 */
export function approverMayDecide(args: {
  /** Who the decision claims to come from (already authenticated by the service's proof). */
  identifier: string;
  /** The directory entry for `identifier` (config approvers and Slack user groups), or null. */
  approver: DirectoryApprover | null;
  request: PolicyRequest;
  engine: PolicyEngine;
  escalatedRoles?: readonly string[];
  /** Context the enrichers computed for the approver's own request (e.g. tenancy); it wins on clashes. */
  context?: Record<string, unknown>;
}): AuthorityVerdict {
  const { identifier, request, approver } = args;
  const requester = request.subject.identifier;
  if (isRequester(requester, [identifier, ...(approver ? namesOf(approver) : [])])) {
    return { allowed: false, reason: `${identifier} requested this operation and may not approve it` };
  }
  if (!approver) return { allowed: false, reason: `${identifier} is not in the approvers directory` };
  if (args.escalatedRoles?.some((role) => approver.roles.includes(role))) return { allowed: true, approver };
  const decision = args.engine.evaluate({
    subject: approverSubject(approver),
    action: APPROVAL_ACTION,
    resource: request.resource,
    context: { requester, requested_action: request.action, ...args.context },
  });
  if (decision.effect === 'allow') return { allowed: true, approver };
  return {
    allowed: false,
    reason: `policy ${decision.policySet} does not allow ${approver.identifier} ${APPROVAL_ACTION} on ${request.resource} (${decision.rule ? `rule ${decision.rule}` : 'default effect'}: ${decision.effect})`,
  };
}
