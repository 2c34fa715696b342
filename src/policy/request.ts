import { z } from 'zod';
import { canonicalResource } from './canonical.js';
import type { PolicyRequest } from './types.js';

/**
 * A resource as rules see it: canonical (percent-decoding, dot segments, duplicate slashes, NFC,
 * fullwidth forms; docs/resources-and-detectors.md), so `dataset://public/../phi/x` is
 * `dataset://phi/x` before any rule matches, or refused with the reason when it cannot be.
 */
export const ResourceSchema = z.string().min(1, 'must not be empty').transform((resource, context) => {
  const canonical = canonicalResource(resource);
  if (canonical.ok) return canonical.resource;
  context.addIssue({ code: 'custom', message: canonical.reason });
  return z.NEVER;
});

export const SubjectSchema = z.object({
  identifier: z.string().min(1, 'must not be empty'),
  roles: z.array(z.string()).optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
}).strict();

export const PolicyRequestSchema = z.object({
  subject: SubjectSchema,
  action: z.string().min(1, 'must not be empty'),
  resource: ResourceSchema,
  context: z.record(z.string(), z.unknown()).optional(),
}).strict();

/** Validate a request from outside (CLI, HTTP, test cases); the engine itself trusts its caller. */
export function parsePolicyRequest(input: unknown): PolicyRequest {
  return PolicyRequestSchema.parse(input);
}
