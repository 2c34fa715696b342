import { z } from 'zod';
import { isDuration, DURATION_HINT } from '../duration.js';
import { ActionSchema, ContextSchema, ResourceSchema, SubjectSchema } from '../policy/request.js';
import { checkJsonBounds, REQUEST_LIMITS } from '../policy/limits.js';

/** Workflow ids become Temporal ids, Slack button values and SQL keys: keep them plain. */
export const OPERATION_ID = /^[A-Za-z0-9][A-Za-z0-9._:@\-]{0,199}$/;

export { SubjectSchema };

export const OperationInputSchema = z.object({
  id: z.string().regex(OPERATION_ID, 'use letters, digits and . _ : @ - (at most 200), starting with a letter or digit').optional(),
  subject: SubjectSchema,
  action: ActionSchema,
  resource: ResourceSchema,
  context: ContextSchema.optional(),
  operation: z.object({
    name: z.string().min(1, 'must not be empty').max(200),
    args: z.unknown().superRefine((args, context) => checkJsonBounds(args, REQUEST_LIMITS.argumentsBytes, REQUEST_LIMITS.depth, context)).optional(),
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

const duration = z.string().refine(isDuration, { message: `expected ${DURATION_HINT}` });

/** "Approve, and allow the same for a while": what an approver asks for beside their vote. */
export const GrantRequestSchema = z.object({
  ttl: duration,
  /** A resource glob; defaults to the exact resource of the request being approved. */
  scope: z.string().min(1).max(1024).optional(),
  uses: z.number().int().positive().max(1_000_000).optional(),
}).strict();
export type GrantRequest = z.infer<typeof GrantRequestSchema>;

export const DECISION_CHANNELS = ['slack', 'api'] as const;
export type DecisionChannel = (typeof DECISION_CHANNELS)[number];

/**
 * A proof that the Tollgate service authenticated this decision (src/approval/proof.ts). The
 * fields other than the signature say what it was made for, so a refusal can say why.
 */
export const DecisionProofSchema = z.object({
  v: z.literal(1),
  operationId: z.string().max(200),
  requestDigest: z.string().max(128),
  /** Epoch ms when the service signed it. */
  at: z.number().int().nonnegative(),
  nonce: z.string().min(16).max(64),
  keyId: z.string().max(64),
  signature: z.string().max(256),
}).strict();
export type DecisionProof = z.infer<typeof DecisionProofSchema>;

/** The payload of the `decide` Update. Anything else is refused by its validator. */
export const DecideRequestSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  approver: z.object({ identifier: z.string().min(1).max(256), slackUserId: z.string().max(64).optional() }).strict(),
  channel: z.enum(DECISION_CHANNELS),
  notes: z.string().max(3000).optional(),
  grant: GrantRequestSchema.optional(),
  /** Optional in shape so that a missing proof is refused and audited rather than dropped unseen. */
  proof: DecisionProofSchema.optional(),
}).strict();
export type DecideRequest = z.infer<typeof DecideRequestSchema>;

/** What the `decide` Update answers: whether this vote counted, and why not. */
export interface DecideResult {
  counted: boolean;
  /** Set when this vote settled the approval. */
  outcome?: 'approved' | 'rejected';
  reason: string;
  /**
   * Why it did not count, as a code: `decided` (the wait is over), `duplicate` (this person already
   * approved), `authority`, or a proof refusal (missing, bad_signature, other_operation, other_request,
   * expired, future, reused).
   */
  refusal?: string;
  approvals: { have: number; need: number };
  /** The standing grant this approval created, if one was asked for. */
  grant?: { id: string; expiresAt: string; uses: number; scope: string };
}
