import { z } from 'zod';
import { SubjectSchema } from '../policy/request.js';

/** Workflow ids become Temporal ids, Slack button values and SQL keys: keep them plain. */
export const OPERATION_ID = /^[A-Za-z0-9][A-Za-z0-9._:@\-]{0,199}$/;

export { SubjectSchema };

export const OperationInputSchema = z.object({
  id: z.string().regex(OPERATION_ID, 'use letters, digits and . _ : @ - (at most 200), starting with a letter or digit').optional(),
  subject: SubjectSchema,
  action: z.string().min(1, 'must not be empty'),
  resource: z.string().min(1, 'must not be empty'),
  context: z.record(z.string(), z.unknown()).optional(),
  operation: z.object({
    name: z.string().min(1, 'must not be empty'),
    args: z.unknown().optional(),
    /**
     * Run the handler on this task queue instead of the workflow's: for a process that owns the
     * resource the handler needs (the MCP gateway and its upstream connection).
     */
    taskQueue: z.string().min(1).max(200).optional(),
    /** No handler runs: the gate opens and the caller performs the side effect (agent frameworks). */
    gateOnly: z.boolean().optional(),
    /** Attempt the handler once and never retry it, for side effects that are not idempotent. */
    atMostOnce: z.boolean().optional(),
  }).strict().refine((op) => !(op.gateOnly && op.taskQueue), { message: 'gateOnly runs no handler, so taskQueue means nothing with it', path: ['taskQueue'] }).optional(),
  estimatedCost: z.number().nonnegative().finite().optional(),
}).strict();

export type OperationInput = z.infer<typeof OperationInputSchema>;

export const ApprovalDecisionSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  approver: z.object({ identifier: z.string().min(1), slackUserId: z.string().optional() }).strict(),
  notes: z.string().max(3000).optional(),
}).strict();

export type ApprovalDecision = z.infer<typeof ApprovalDecisionSchema>;
