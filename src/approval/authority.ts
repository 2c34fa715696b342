import type { Approver } from '../config.js';
import type { PolicyEngine } from '../policy/engine.js';
import type { PolicyRequest, PolicySubject } from '../policy/types.js';

export const APPROVAL_ACTION = 'approval:decide';

export type AuthorityVerdict = { allowed: true; approver: Approver } | { allowed: false; reason: string };

/**
 * Anyone with namespace access can send a signal, so the workflow asks this before it counts a
 * vote: the approver must be in the directory, must not be the requester, and the policy must allow
 * them `approval:decide` on the resource (or they hold a role the request was escalated to).
 */
/** The subject a directory entry stands for when it asks for `approval:decide`. */
export const approverSubject = (approver: Pick<Approver, 'identifier' | 'roles' | 'attributes' | 'tags'>): PolicySubject =>
  ({ identifier: approver.identifier, roles: approver.roles, attributes: approver.attributes, tags: approver.tags });

export function approverMayDecide(args: {
  identifier: string;
  /** The directory entry for `identifier` (config approvers and Slack user groups), or null. */
  approver: Approver | null;
  request: PolicyRequest;
  engine: PolicyEngine;
  escalatedRoles?: readonly string[];
  /** Context the enrichers computed for the approver's own request (e.g. tenancy); it wins on clashes. */
  context?: Record<string, unknown>;
}): AuthorityVerdict {
  const { identifier, request } = args;
  if (identifier === request.subject.identifier) {
    return { allowed: false, reason: `${identifier} requested this operation and may not approve it` };
  }
  const { approver } = args;
  if (!approver) return { allowed: false, reason: `${identifier} is not in the approvers directory` };
  if (args.escalatedRoles?.some((role) => approver.roles.includes(role))) return { allowed: true, approver };
  const subject = approverSubject(approver);
  const decision = args.engine.evaluate({
    subject,
    action: APPROVAL_ACTION,
    resource: request.resource,
    context: { requester: request.subject.identifier, requested_action: request.action, ...args.context },
  });
  if (decision.effect === 'allow') return { allowed: true, approver };
  return {
    allowed: false,
    reason: `policy ${decision.policySet} does not allow ${identifier} ${APPROVAL_ACTION} on ${request.resource} (${decision.rule ? `rule ${decision.rule}` : 'default effect'}: ${decision.effect})`,
  };
}
