import { serviceUrl, type TollgateConfig } from '../config.js';
import { InfrastructureUnavailableError, TollgateInputError } from '../errors.js';
import { GrantRequestSchema, type DecideResult, type GrantRequest } from '../operation/schema.js';
import { DecisionRefusedError, OperationNotFoundError } from './errors.js';

export interface DecideOptions {
  /** An approver token (`tollgate approvers token create`) or an OIDC JWT: who decides is the token's identity. */
  token: string;
  note?: string;
  /** Approve, and let the same requester do the same for a while without asking. */
  grant?: GrantRequest;
  /** How long to wait for the service's answer (default 60 s). */
  timeoutMs?: number;
}

/**
 * Decide an operation waiting for approval through the service's decision API. The service
 * authenticates the token, signs the decision and sends it to the workflow, then answers whether
 * the vote counted; nothing here needs Temporal, and Temporal credentials alone cannot decide.
 */
export async function decideOperation(config: Pick<TollgateConfig, 'server'>, id: string, decision: 'approve' | 'reject', options: DecideOptions): Promise<DecideResult> {
  if (!options?.token) throw new TollgateInputError('a token is required: set TOLLGATE_TOKEN (create one with `tollgate approvers token create IDENT`)', 'token');
  const grant = options.grant === undefined ? undefined : GrantRequestSchema.parse(options.grant);
  const base = serviceUrl(config);
  let response: Response;
  try {
    response = await fetch(`${base}/v1/operations/${encodeURIComponent(id)}/decision`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision, ...(options.note ? { note: options.note } : {}), ...(grant ? { grant } : {}) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    });
  } catch (error) {
    const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new InfrastructureUnavailableError(`cannot reach the Tollgate service at ${base} (${reason}): is \`tollgate start\` running? (set server.url or TOLLGATE_URL)`, { cause: error });
  }
  const body = await response.json().catch(() => ({})) as DecideResult & { error?: string; result?: DecideResult };
  if (response.ok) return body;
  if (response.status === 404) throw new OperationNotFoundError(id);
  if (response.status >= 500) throw new InfrastructureUnavailableError(`the Tollgate service could not deliver the decision: ${body.error ?? response.statusText}`);
  throw new DecisionRefusedError(id, response.status, body.error ?? response.statusText, body.result);
}
