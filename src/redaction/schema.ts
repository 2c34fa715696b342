import { z } from 'zod';
import { redactionIssues } from './redactor.js';

/**
 * `redaction:` in tollgate.yaml: keys and patterns added to the built-in policy. A pattern that
 * does not compile (or could backtrack badly) is a config error naming the entry.
 */
export const RedactionConfigSchema = z.object({
  keys: z.array(z.string()).default([]),
  patterns: z.array(z.string()).default([]),
}).strict().superRefine((value, ctx) => {
  for (const issue of redactionIssues(value)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
});

export type RedactionConfig = z.output<typeof RedactionConfigSchema>;
