/**
 * The terms of a standing grant an approver asks for, checked against the rule's offer. Pure, so
 * the workflow checks them too, not only the service.
 */
import { formatDuration, parseDuration } from '../duration.js';
import type { GrantRequest } from '../operation/schema.js';
import { compileGlob, globCovers, GlobSyntaxError } from '../policy/glob.js';
import type { ApprovalPlan } from './plan.js';

export interface GrantTerms {
  ttlMs: number;
  uses: number;
  scope: string;
}

export type GrantTermsVerdict = { ok: true; terms: GrantTerms } | { ok: false; reason: string };

/**
 * The terms an approver asked for, checked against the rule's caps and the request at hand. The
 * scope must cover the resource being approved and stay inside the rule's own resources; whether
 * the approver may decide each later request is checked again at every use.
 */
export function grantTerms(request: GrantRequest, plan: Pick<ApprovalPlan, 'grantable' | 'required'>, rule: string | null, resource: string): GrantTermsVerdict {
  const offer = plan.grantable;
  if (!offer) return { ok: false, reason: `rule ${rule ?? '(default)'} does not offer standing grants (add metadata.grantable: { maxTtl, maxUses } to offer them)` };
  // One person's standing grant must not stand in for a quorum later.
  if (plan.required > 1) return { ok: false, reason: `rule ${rule} needs ${plan.required} approvals, and a standing grant cannot stand in for a quorum` };
  const ttlMs = parseDuration(request.ttl);
  if (ttlMs <= 0) return { ok: false, reason: 'a grant needs a positive duration' };
  if (ttlMs > offer.maxTtlMs) return { ok: false, reason: `grant ttl ${request.ttl} is longer than rule ${rule}'s maxTtl of ${formatDuration(offer.maxTtlMs)}` };
  const uses = request.uses ?? offer.maxUses;
  if (uses > offer.maxUses) return { ok: false, reason: `grant uses ${uses} is more than rule ${rule}'s maxUses of ${offer.maxUses}` };
  const scope = request.scope ?? resource;
  let covers: boolean;
  try {
    covers = compileGlob(scope).test(resource);
  } catch (error) {
    if (error instanceof GlobSyntaxError) return { ok: false, reason: `grant scope: ${error.message}` };
    throw error;
  }
  if (!covers) return { ok: false, reason: `grant scope ${scope} does not cover the resource being approved (${resource})` };
  // Conservative: a scope is kept only when one of the rule's globs certainly matches all it matches.
  if (offer.resources && !offer.resources.some((pattern) => globCovers(pattern, scope))) {
    return { ok: false, reason: `grant scope ${scope} reaches past rule ${rule}'s resources (${offer.resources.join(', ')}); narrow it to what the rule covers` };
  }
  return { ok: true, terms: { ttlMs, uses, scope } };
}
