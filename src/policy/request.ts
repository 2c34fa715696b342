import { z } from 'zod';
import type { PolicyRequest } from './types.js';

export const SubjectSchema = z.object({
  identifier: z.string().min(1, 'must not be empty'),
  roles: z.array(z.string()).optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
}).strict();

export const PolicyRequestSchema = z.object({
  subject: SubjectSchema,
  action: z.string().min(1, 'must not be empty'),
  resource: z.string().min(1, 'must not be empty'),
  context: z.record(z.string(), z.unknown()).optional(),
}).strict();

/** Validate a request from outside (CLI, HTTP, test cases); the engine itself trusts its caller. */
export function parsePolicyRequest(input: unknown): PolicyRequest {
  return PolicyRequestSchema.parse(input);
}
