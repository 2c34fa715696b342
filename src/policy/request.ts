import { z } from 'zod';
import { canonicalResource } from './canonical.js';
import { boundedRecord, boundedString, REQUEST_LIMITS } from './limits.js';
import type { PolicyRequest } from './types.js';

/**
 * A resource as rules see it: canonical (percent-decoding, dot segments, duplicate slashes, NFC,
 * fullwidth forms; docs/resources-and-detectors.md), so `dataset://public/../phi/x` is
 * `dataset://phi/x` before any rule matches, or refused with the reason when it cannot be.
 */
export const ResourceSchema = boundedString(REQUEST_LIMITS.resourceLength, 'name the resource, and pass its data in operation.args').transform((resource, context) => {
  const canonical = canonicalResource(resource);
  if (canonical.ok) return canonical.resource;
  context.addIssue({ code: 'custom', message: canonical.reason });
  return z.NEVER;
});

const role = boundedString(REQUEST_LIMITS.roleLength, 'use a short role name');

export const SubjectSchema = z.object({
  identifier: boundedString(REQUEST_LIMITS.identifierLength, 'use a short identifier, such as a user id or email'),
  roles: z.array(role).max(REQUEST_LIMITS.roles, `has more than ${REQUEST_LIMITS.roles} roles; send the roles that policies name`).optional(),
  attributes: boundedRecord(z.unknown(), REQUEST_LIMITS.contextBytes).optional(),
  tags: boundedRecord(z.string(), REQUEST_LIMITS.contextBytes).optional(),
}).strict();

export const ActionSchema = boundedString(REQUEST_LIMITS.actionLength, 'use a short action name such as "data:read"');
export const ContextSchema = boundedRecord(z.unknown(), REQUEST_LIMITS.contextBytes);

export const PolicyRequestSchema = z.object({
  subject: SubjectSchema,
  action: ActionSchema,
  resource: ResourceSchema,
  context: ContextSchema.optional(),
}).strict();

/** Validate a request from outside (CLI, HTTP, test cases); the engine itself trusts its caller. */
export function parsePolicyRequest(input: unknown): PolicyRequest {
  return PolicyRequestSchema.parse(input);
}
