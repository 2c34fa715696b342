/**
 * Approver tokens: what a person (or their CLI) presents to the decision API. The token is shown
 * once and only its SHA-256 is stored, so the database alone cannot be used to approve.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../store/connect.js';
import { TollgateInputError } from '../errors.js';

/** `tg_` and 43 base64url characters (32 random bytes): distinctive, so redaction can spot one. */
export const TOKEN_PATTERN = /^tg_[A-Za-z0-9_-]{43}$/;

export interface ApproverTokenInfo {
  id: string;
  identifier: string;
  createdAt: Date;
  createdBy: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export interface CreatedApproverToken {
  id: string;
  identifier: string;
  /** Shown once; never stored. */
  token: string;
  expiresAt: string | null;
}

export type TokenAuthentication =
  | { ok: true; identifier: string; tokenId: string }
  | { ok: false; reason: string };

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

interface TokenRow {
  id: string;
  identifier: string;
  token_hash: string;
  created_at: Date;
  created_by: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const infoOf = (row: TokenRow): ApproverTokenInfo => ({
  id: row.id, identifier: row.identifier, createdAt: row.created_at, createdBy: row.created_by, expiresAt: row.expires_at, revokedAt: row.revoked_at,
});

export async function createApproverToken(db: Queryable, args: { identifier: string; expiresInMs?: number; createdBy?: string }): Promise<CreatedApproverToken> {
  const identifier = args.identifier.trim();
  if (!identifier) throw new TollgateInputError('IDENT: an approver identifier is required (as in the approvers directory)', 'identifier');
  const token = `tg_${randomBytes(32).toString('base64url')}`;
  const id = `tok-${randomBytes(6).toString('hex')}`;
  const expiresAt = args.expiresInMs !== undefined ? new Date(Date.now() + args.expiresInMs) : null;
  await db.query(
    'INSERT INTO approver_tokens (id, identifier, token_hash, created_by, expires_at) VALUES ($1, $2, $3, $4, $5)',
    [id, identifier, hashToken(token), args.createdBy ?? null, expiresAt],
  );
  return { id, identifier, token, expiresAt: expiresAt?.toISOString() ?? null };
}

export async function listApproverTokens(db: Queryable): Promise<ApproverTokenInfo[]> {
  const { rows } = await db.query('SELECT id, identifier, token_hash, created_at, created_by, expires_at, revoked_at FROM approver_tokens ORDER BY created_at, id');
  return (rows as TokenRow[]).map(infoOf);
}

/** False when there is no such token or it was already revoked. */
export async function revokeApproverToken(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query('UPDATE approver_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id', [id]);
  return rows.length === 1;
}

/** Who a presented token belongs to, or why it is refused (unknown, revoked, expired). */
export async function authenticateApproverToken(db: Queryable, token: string, now = new Date()): Promise<TokenAuthentication> {
  if (!TOKEN_PATTERN.test(token)) return { ok: false, reason: 'not a Tollgate approver token (they start with tg_; create one with `tollgate approvers token create IDENT`)' };
  const hash = hashToken(token);
  const { rows } = await db.query('SELECT id, identifier, token_hash, created_at, created_by, expires_at, revoked_at FROM approver_tokens WHERE token_hash = $1', [hash]);
  const row = rows[0] as TokenRow | undefined;
  // The lookup is by hash already; the constant-time compare only guards against a clever index.
  if (!row || !timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))) return { ok: false, reason: 'unknown approver token' };
  if (row.revoked_at) return { ok: false, reason: `approver token ${row.id} was revoked at ${row.revoked_at.toISOString()}` };
  if (row.expires_at && row.expires_at <= now) return { ok: false, reason: `approver token ${row.id} expired at ${row.expires_at.toISOString()}` };
  return { ok: true, identifier: row.identifier, tokenId: row.id };
}
