/**
 * Standing grants: "approve, and allow the same for an hour". A grant covers one requester, one
 * action and a resource glob, for a while and a number of uses, and only ever turns a later
 * REQUIRE_APPROVAL of the same rule into an approval: a denial still beats it. Grants live in SQL
 * so every worker sees a revocation at once, and each use is counted in the same transaction that
 * checks the cap, so parallel requests never get past `maxUses`.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { StandingGrantUse } from '../operation/types.js';
import { compileGlob } from '../policy/glob.js';
import type { Queryable } from '../store/connect.js';
import { withTransaction } from '../store/transaction.js';
import type { GrantTerms } from './grantTerms.js';
import { canonicalIdentity } from './identity.js';

export interface StandingGrant {
  id: string;
  requester: string;
  action: string;
  scope: string;
  rule: string;
  grantedBy: string;
  grantedAt: Date;
  expiresAt: Date;
  maxUses: number;
  uses: number;
  sourceOperation: string;
  revokedAt: Date | null;
  revokedBy: string | null;
}

interface GrantRow {
  id: string; requester: string; action: string; scope: string; rule: string; granted_by: string; granted_at: Date; expires_at: Date;
  max_uses: number; uses: number; source_operation: string; revoked_at: Date | null; revoked_by: string | null;
}

const grantOf = (row: GrantRow): StandingGrant => ({
  id: row.id, requester: row.requester, action: row.action, scope: row.scope, rule: row.rule, grantedBy: row.granted_by,
  grantedAt: row.granted_at, expiresAt: row.expires_at, maxUses: row.max_uses, uses: row.uses, sourceOperation: row.source_operation,
  revokedAt: row.revoked_at, revokedBy: row.revoked_by,
});

const GRANT_COLUMNS = 'id, requester, action, scope, rule, granted_by, granted_at, expires_at, max_uses, uses, source_operation, revoked_at, revoked_by';

/**
 * Record the grant an approval asked for. Keyed by the operation that was approved, so the retry of
 * the activity that counted the vote finds the first grant instead of making a second.
 */
export async function createGrant(db: Queryable, args: {
  requester: string; action: string; rule: string; grantedBy: string; terms: GrantTerms; sourceOperation: string; now?: Date;
}): Promise<StandingGrant> {
  const now = args.now ?? new Date();
  const id = `grant-${randomBytes(6).toString('hex')}`;
  await db.query(
    `INSERT INTO approval_grants (id, requester, action, scope, rule, granted_by, granted_at, expires_at, max_uses, source_operation)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (source_operation) DO NOTHING`,
    [id, canonicalIdentity(args.requester), args.action, args.terms.scope, args.rule, canonicalIdentity(args.grantedBy), now,
      new Date(now.getTime() + args.terms.ttlMs), args.terms.uses, args.sourceOperation],
  );
  const { rows } = await db.query(`SELECT ${GRANT_COLUMNS} FROM approval_grants WHERE source_operation = $1`, [args.sourceOperation]);
  return grantOf(rows[0] as GrantRow);
}

export interface GrantUseRequest {
  requester: string;
  action: string;
  resource: string;
  /** The rule that required approval: a grant made under one rule never answers for another. */
  rule: string;
  operationId: string;
  /** Whether the approver who granted may still decide this request (re-checked at every use). */
  stillAuthorised(grant: StandingGrant): Promise<boolean> | boolean;
  now?: Date;
}

/**
 * Spend one use of a live grant that covers the request, or return null. Idempotent by operation:
 * the retry of an evaluation gets the grant it already used.
 */
export async function useGrant(pool: pg.Pool, request: GrantUseRequest): Promise<StandingGrant | null> {
  const requester = canonicalIdentity(request.requester);
  const now = request.now ?? new Date();
  const earlier = await pool.query(
    `SELECT ${GRANT_COLUMNS.split(', ').map((c) => `g.${c}`).join(', ')} FROM approval_grant_uses u JOIN approval_grants g ON g.id = u.grant_id WHERE u.operation_id = $1`,
    [request.operationId],
  );
  if (earlier.rows.length) return grantOf(earlier.rows[0] as GrantRow);
  const { rows } = await pool.query(
    `SELECT ${GRANT_COLUMNS} FROM approval_grants
     WHERE requester = $1 AND action = $2 AND rule = $3 AND revoked_at IS NULL AND expires_at > $4 AND uses < max_uses
     ORDER BY expires_at`,
    [requester, request.action, request.rule, now],
  );
  for (const grant of (rows as GrantRow[]).map(grantOf)) {
    if (!compileGlob(grant.scope).test(request.resource)) continue;
    if (!(await request.stillAuthorised(grant))) continue;
    const used = await withTransaction(pool, async (client) => {
      // The cap and the liveness are checked by the same statement that counts the use.
      const spent = await client.query(
        `UPDATE approval_grants SET uses = uses + 1
         WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 AND uses < max_uses RETURNING ${GRANT_COLUMNS}`,
        [grant.id, now],
      );
      if (!spent.rows.length) return null;
      await client.query('INSERT INTO approval_grant_uses (grant_id, operation_id, used_at) VALUES ($1, $2, $3)', [grant.id, request.operationId, now]);
      return grantOf(spent.rows[0] as GrantRow);
    });
    if (used) return used;
  }
  return null;
}

export const grantUseOf = (grant: StandingGrant): StandingGrantUse => ({
  grantId: grant.id,
  grantedBy: grant.grantedBy,
  grantedAt: grant.grantedAt.toISOString(),
  expiresAt: grant.expiresAt.toISOString(),
  scope: grant.scope,
});

export async function listGrants(db: Queryable, options: { includeEnded?: boolean; now?: Date } = {}): Promise<StandingGrant[]> {
  const { rows } = options.includeEnded
    ? await db.query(`SELECT ${GRANT_COLUMNS} FROM approval_grants ORDER BY granted_at, id`)
    : await db.query(`SELECT ${GRANT_COLUMNS} FROM approval_grants WHERE revoked_at IS NULL AND expires_at > $1 AND uses < max_uses ORDER BY granted_at, id`, [options.now ?? new Date()]);
  return (rows as GrantRow[]).map(grantOf);
}

/** Ends a grant at once for new requests; null when there is no such live grant. */
export async function revokeGrant(db: Queryable, id: string, revokedBy: string): Promise<StandingGrant | null> {
  const { rows } = await db.query(
    `UPDATE approval_grants SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING ${GRANT_COLUMNS}`,
    [id, revokedBy],
  );
  return rows.length ? grantOf(rows[0] as GrantRow) : null;
}
