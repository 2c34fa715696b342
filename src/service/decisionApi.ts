/**
 * `POST /v1/operations/{id}/decision`: how people decide outside Slack (the CLI, scripts, other
 * UIs). The caller proves who they are with an approver token or an OIDC JWT; the service then
 * signs the decision (src/service/decisions.ts). A Temporal credential is never enough.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { authenticateApproverToken } from '../approval/tokens.js';
import { looksLikeJwt, type OidcVerifier } from '../approval/oidc.js';
import type { Logger } from '../log.js';
import { GrantRequestSchema, OPERATION_ID } from '../operation/schema.js';
import type { Queryable } from '../store/connect.js';
import type { DecisionService } from './decisions.js';

export const DECISION_ROUTE = /^\/v1\/operations\/([^/]+)\/decision$/;

const MAX_BODY_BYTES = 16 * 1024;

export const DecisionBodySchema = z.object({
  decision: z.enum(['approve', 'reject']),
  note: z.string().max(3000).optional(),
  grant: GrantRequestSchema.optional(),
}).strict();
export type DecisionBody = z.infer<typeof DecisionBodySchema>;

export interface DecisionApiDependencies {
  decisions: DecisionService;
  /** Where approver tokens live. */
  db: Queryable;
  oidc?: OidcVerifier;
  logger: Logger;
}

type Authentication = { ok: true; identity: string; via: string } | { ok: false; reason: string };

async function authenticate(deps: DecisionApiDependencies, header: string | undefined): Promise<Authentication> {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match) return { ok: false, reason: 'no credentials: send "Authorization: Bearer <approver token or OIDC JWT>" (create a token with `tollgate approvers token create IDENT`)' };
  const credential = match[1];
  if (deps.oidc && looksLikeJwt(credential)) {
    const verified = await deps.oidc.authenticate(credential);
    return verified.ok ? { ok: true, identity: verified.identifier, via: 'oidc' } : verified;
  }
  if (looksLikeJwt(credential)) return { ok: false, reason: 'OIDC tokens are not accepted: configure auth.oidc (issuer, audience, jwksUrl)' };
  const token = await authenticateApproverToken(deps.db, credential);
  return token.ok ? { ok: true, identity: token.identifier, via: `token ${token.tokenId}` } : token;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RangeError(`request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

/** Handles the route; returns false for requests that are not for it. */
export function decisionApi(deps: DecisionApiDependencies) {
  const log = deps.logger.child({ component: 'decision-api' });
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = DECISION_ROUTE.exec(path);
    if (!route) return false;
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      send(res, 405, { error: 'use POST' });
      return true;
    }
    const operationId = decodeURIComponent(route[1]);
    try {
      if (!OPERATION_ID.test(operationId)) return (send(res, 400, { error: `"${operationId}" is not an operation id` }), true);
      const auth = await authenticate(deps, req.headers.authorization);
      if (!auth.ok) {
        log.warn({ operationId, reason: auth.reason }, 'refused an unauthenticated decision');
        return (send(res, 401, { error: auth.reason }), true);
      }
      let body: DecisionBody;
      try {
        const parsed = DecisionBodySchema.safeParse(await readJson(req));
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return (send(res, 400, { error: `${issue.path.join('.') || 'body'}: ${issue.message}` }), true);
        }
        body = parsed.data;
      } catch (error) {
        return (send(res, 400, { error: `body: ${(error as Error).message}; send JSON { "decision": "approve" | "reject", "note"?: "…" }` }), true);
      }
      const outcome = await deps.decisions.decide({
        operationId, identity: auth.identity, channel: 'api', decision: body.decision, notes: body.note, grant: body.grant,
      });
      log.info({ operationId, identity: auth.identity, via: auth.via, decision: body.decision, status: outcome.status, reason: outcome.ok ? outcome.result.reason : outcome.reason }, 'decision');
      if (outcome.ok) return (send(res, 200, outcome.result), true);
      return (send(res, outcome.status, { error: outcome.reason, ...(outcome.result ? { result: outcome.result } : {}) }), true);
    } catch (error) {
      log.error({ operationId, err: error }, 'decision failed');
      send(res, 503, { error: `the decision could not be delivered (${(error as Error).message.split('\n')[0]}); nothing changed, try again` });
      return true;
    }
  };
}
