import type pg from 'pg';
import { TollgateInputError } from '../errors.js';
import { logger } from '../log.js';
import type { Queryable } from '../store/connect.js';
import { withTransaction } from '../store/transaction.js';
import { budgetContext, type BudgetContext } from './context.js';
import { BudgetExceededError, BudgetReservationNotFoundError, BudgetReservationStateError } from './errors.js';
import { clearLimit, effectiveLimitMicros, setLimit, type LimitOverride } from './limits.js';
import { fromMicros, microsFromSql, toMicros } from './money.js';
import { periodKey, periodKindOf } from './period.js';
import { levelStatus } from './status.js';
import {
  BUDGET_LEVELS, ORG_ENTITY,
  type BudgetEntities, type BudgetEntry, type BudgetLevel, type BudgetLevelStatus, type BudgetReservation,
  type BudgetsConfig, type CommitResult, type ReservationState, type ReserveResult,
} from './types.js';

interface Target {
  level: BudgetLevel;
  entity: string;
}

interface TotalsRow extends LimitOverride {
  level: BudgetLevel;
  entity: string;
  spent_micros: string;
  reserved_micros: string;
}

interface ReservationRow {
  key: string;
  state: ReservationState;
  user_entity: string | null;
  team_entity: string | null;
  org_entity: string | null;
  period: string | null;
  estimated_micros: string;
  actual_micros: string | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * Every transaction locks total rows in this order (org, team, user), so two transactions
 * never wait for each other's rows in a cycle.
 */
const LOCK_ORDER: readonly BudgetLevel[] = ['org', 'team', 'user'];

/** Levels most specific first, as `status` reports them. */
const REPORT_ORDER: readonly BudgetLevel[] = BUDGET_LEVELS;

function targetsOf(entities: { user?: string; team?: string }, order: readonly BudgetLevel[]): Target[] {
  const byLevel: Record<BudgetLevel, string | undefined> = { user: entities.user, team: entities.team, org: ORG_ENTITY };
  return order.filter((level) => byLevel[level] !== undefined).map((level) => ({ level, entity: byLevel[level]! }));
}

function entitiesOf(row: ReservationRow): BudgetEntities | null {
  if (row.user_entity === null) return null;
  return row.team_entity === null
    ? { user: row.user_entity, org: ORG_ENTITY }
    : { user: row.user_entity, team: row.team_entity, org: ORG_ENTITY };
}

function reservationOf(row: ReservationRow): BudgetReservation {
  return {
    key: row.key,
    state: row.state,
    entities: entitiesOf(row),
    period: row.period,
    estimated: fromMicros(microsFromSql(row.estimated_micros)),
    actual: row.actual_micros === null ? null : fromMicros(microsFromSql(row.actual_micros)),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new TollgateInputError('budget key: must be a non-empty string', 'key');
}

function checkEntities(entities: BudgetEntities): void {
  if (!entities || typeof entities.user !== 'string' || entities.user.length === 0) {
    throw new TollgateInputError('budget entities: user must be a non-empty string', 'user');
  }
  if (entities.team !== undefined && (typeof entities.team !== 'string' || entities.team.length === 0)) {
    throw new TollgateInputError('budget entities: team must be a non-empty string when given', 'team');
  }
}

/**
 * Lock the totals rows of `targets` for `period` (creating missing ones), add the deltas, and
 * return them with any SQL limit override. Rows are upserted in LOCK_ORDER in one statement;
 * ON CONFLICT DO UPDATE takes each row lock in that order.
 */
async function applyToTotals(
  db: Queryable, targets: readonly Target[], period: string, spentDelta: number, reservedDelta: number,
): Promise<TotalsRow[]> {
  const { rows } = await db.query<TotalsRow>(
    `WITH locked AS (
       INSERT INTO budget_totals (level, entity, period, spent_micros, reserved_micros)
       SELECT t.level, t.entity, $3::text, GREATEST($4::bigint, 0), GREATEST($5::bigint, 0)
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(level, entity, n) ORDER BY t.n
       ON CONFLICT (level, entity, period) DO UPDATE
         SET spent_micros = budget_totals.spent_micros + $4::bigint,
             reserved_micros = budget_totals.reserved_micros + $5::bigint
       RETURNING level, entity, spent_micros, reserved_micros
     )
     SELECT locked.*, l.limit_micros, l.level IS NOT NULL AS overridden
       FROM locked LEFT JOIN budget_limits l ON l.level = locked.level AND l.entity = locked.entity`,
    [targets.map((t) => t.level), targets.map((t) => t.entity), period, spentDelta, reservedDelta],
  );
  return rows;
}

async function journal(db: Queryable, key: string, kind: BudgetEntry['kind'], amountMicros: number, at: Date): Promise<void> {
  await db.query('INSERT INTO budget_entries (key, kind, amount_micros, at) VALUES ($1, $2, $3, $4)', [key, kind, amountMicros, at]);
}

async function lockReservation(db: Queryable, key: string): Promise<ReservationRow | undefined> {
  const { rows } = await db.query<ReservationRow>('SELECT * FROM budget_reservations WHERE key = $1 FOR UPDATE', [key]);
  return rows[0];
}

/**
 * Move a reservation out of 'reserved' and journal it, in one statement. Returns the updated
 * row, or undefined when the key is unknown or no longer reserved (the caller looks at why).
 * A concurrent transition of the same key waits for the row lock, then finds it moved on.
 */
async function transition(
  db: Queryable, key: string, to: 'committed' | 'released', actualMicros: number | null, at: Date,
): Promise<ReservationRow | undefined> {
  const { rows } = await db.query<ReservationRow>(
    `WITH moved AS (
       UPDATE budget_reservations SET state = $2, actual_micros = $3, updated_at = $4
        WHERE key = $1 AND state = 'reserved' RETURNING *
     ), entry AS (
       INSERT INTO budget_entries (key, kind, amount_micros, at)
       SELECT key, CASE WHEN $2 = 'committed' THEN 'commit' ELSE 'release' END, COALESCE($3, estimated_micros), $4 FROM moved
     )
     SELECT * FROM moved`,
    [key, to, actualMicros, at],
  );
  return rows[0];
}

export interface ReleaseStaleResult {
  /** Open reservations older than the threshold that were looked at. */
  checked: number;
  /** Keys released because their workflow had closed. */
  released: string[];
}

/**
 * Hierarchical budgets (user, team, org) in SQL. Reserving checks and holds the estimate at
 * every level in one transaction, so concurrent requests cannot overspend together; commit,
 * release and adjust are idempotent by key (the workflow id), so activity retries never
 * double-count.
 */
export class BudgetLedger {
  constructor(private readonly pool: pg.Pool, private readonly budgets: BudgetsConfig) {}

  /** The period key a moment falls in, under the configured period. */
  periodAt(now: Date = new Date()): string {
    return periodKey(now, this.budgets.period);
  }

  /**
   * Hold `amount` against the user, team and org budgets of the current period, or throw
   * BudgetExceededError (nothing held) if any level would go over its limit. A key that was
   * seen before returns its reservation unchanged, whatever its state.
   */
  async reserve(key: string, entities: BudgetEntities, amount: number, now: Date = new Date()): Promise<ReserveResult> {
    checkKey(key);
    checkEntities(entities);
    const micros = toMicros(amount, 'estimatedCost');
    const period = this.periodAt(now);
    const targets = targetsOf(entities, LOCK_ORDER);
    return withTransaction(this.pool, async (tx) => {
      // Claiming the key first makes a concurrent reserve with the same key wait here and
      // then find this one, instead of reserving twice.
      const inserted = await tx.query<ReservationRow>(
        `WITH claimed AS (
           INSERT INTO budget_reservations (key, state, user_entity, team_entity, org_entity, period, estimated_micros, created_at, updated_at)
           VALUES ($1, 'reserved', $2, $3, $4, $5, $6, $7, $7)
           ON CONFLICT (key) DO NOTHING RETURNING *
         ), entry AS (
           INSERT INTO budget_entries (key, kind, amount_micros, at) SELECT key, 'reserve', estimated_micros, created_at FROM claimed
         )
         SELECT * FROM claimed`,
        [key, entities.user, entities.team ?? null, ORG_ENTITY, period, micros, now],
      );
      if (inserted.rowCount === 0) {
        const { rows } = await tx.query<ReservationRow>('SELECT * FROM budget_reservations WHERE key = $1', [key]);
        const existing = reservationOf(rows[0]);
        if (existing.entities && (existing.estimated !== fromMicros(micros) || existing.entities.user !== entities.user
          || existing.entities.team !== entities.team)) {
          logger.warn({ key, existing: { ...existing.entities, estimated: existing.estimated }, retried: { ...entities, estimated: amount } },
            'budget reserve repeated with different terms; keeping the first reservation');
        }
        return { ...existing, created: false };
      }
      // Add first, then check the totals as they now stand: the rows stay locked until the
      // transaction ends, and a refusal rolls the addition back. That keeps the locks held
      // for one statement and the COMMIT, which is what bounds throughput on the org's row.
      const totals = await applyToTotals(tx, targets, period, 0, micros);
      for (const level of LOCK_ORDER) {
        const row = totals.find((r) => r.level === level);
        if (!row) continue;
        const limitMicros = effectiveLimitMicros(this.budgets, row.level, row.entity, row);
        if (limitMicros === null) continue;
        const spentMicros = microsFromSql(row.spent_micros);
        const reservedMicros = microsFromSql(row.reserved_micros);
        if (spentMicros + reservedMicros > limitMicros) {
          throw new BudgetExceededError({
            level: row.level, entity: row.entity, limitMicros, spentMicros, reservedMicros: reservedMicros - micros,
            requestedMicros: micros, period, periodKind: this.budgets.period,
          });
        }
      }
      return { ...reservationOf(inserted.rows[0]), created: true };
    });
  }

  /**
   * Turn the reservation into spend of `actualAmount` (which may differ from the estimate),
   * in the period it was reserved in. Committing again returns the first commit unchanged;
   * committing a released reservation throws BudgetReservationStateError.
   */
  async commit(key: string, actualAmount: number, now: Date = new Date()): Promise<CommitResult> {
    checkKey(key);
    const actual = toMicros(actualAmount, 'actualCost');
    return withTransaction(this.pool, async (tx) => {
      const committed = await transition(tx, key, 'committed', actual, now);
      if (committed) {
        const targets = targetsOf(entitiesOf(committed)!, LOCK_ORDER);
        const totals = await applyToTotals(tx, targets, committed.period!, actual, -microsFromSql(committed.estimated_micros));
        return { reservation: reservationOf(committed), levels: this.statusOf(totals, committed.period!) };
      }
      const row = await lockReservation(tx, key);
      if (!row) throw new BudgetReservationNotFoundError(key, 'commit');
      if (row.state === 'released') throw new BudgetReservationStateError(key, row.state, 'commit');
      if (microsFromSql(row.actual_micros) !== actual) {
        logger.warn({ key, committed: fromMicros(microsFromSql(row.actual_micros)), retried: actualAmount },
          'budget commit retried with a different amount; keeping the first (use adjust to correct it)');
      }
      return { reservation: reservationOf(row), levels: await this.levelsOf(tx, targetsOf(entitiesOf(row)!, LOCK_ORDER), row.period!) };
    });
  }

  /**
   * Drop the reservation (reject, timeout, cancel, failure). Idempotent, and a no-op after a
   * commit. Releasing a key never reserved leaves a tombstone, so that a reserve retried
   * after this compensation cannot hold budget for a workflow that has given up.
   */
  async release(key: string, now: Date = new Date()): Promise<BudgetReservation> {
    checkKey(key);
    return withTransaction(this.pool, async (tx) => {
      let released = await transition(tx, key, 'released', null, now);
      if (!released) {
        const tombstone = await tx.query<ReservationRow>(
          `INSERT INTO budget_reservations (key, state, created_at, updated_at) VALUES ($1, 'released', $2, $2)
           ON CONFLICT (key) DO NOTHING RETURNING *`,
          [key, now],
        );
        if (tombstone.rowCount) {
          await journal(tx, key, 'release', 0, now);
          return reservationOf(tombstone.rows[0]);
        }
        // The key exists: already settled, or a reserve that committed just after our first look.
        released = await transition(tx, key, 'released', null, now);
        if (!released) return reservationOf((await lockReservation(tx, key))!);
      }
      await applyToTotals(tx, targetsOf(entitiesOf(released)!, LOCK_ORDER), released.period!, 0, -microsFromSql(released.estimated_micros));
      return reservationOf(released);
    });
  }

  /** Correct a committed amount afterwards (e.g. the provider's invoice). Idempotent. */
  async adjust(key: string, actualAmount: number, now: Date = new Date()): Promise<CommitResult> {
    checkKey(key);
    const actual = toMicros(actualAmount, 'actualCost');
    return withTransaction(this.pool, async (tx) => {
      const row = await lockReservation(tx, key);
      if (!row) throw new BudgetReservationNotFoundError(key, 'adjust');
      if (row.state !== 'committed') throw new BudgetReservationStateError(key, row.state, 'adjust');
      const targets = targetsOf(entitiesOf(row)!, LOCK_ORDER);
      const delta = actual - microsFromSql(row.actual_micros);
      if (delta === 0) return { reservation: reservationOf(row), levels: await this.levelsOf(tx, targets, row.period!) };
      const totals = await applyToTotals(tx, targets, row.period!, delta, 0);
      const updated = await tx.query<ReservationRow>(
        'UPDATE budget_reservations SET actual_micros = $2, updated_at = $3 WHERE key = $1 RETURNING *', [key, actual, now],
      );
      await journal(tx, key, 'adjust', delta, now);
      return { reservation: reservationOf(updated.rows[0]), levels: this.statusOf(totals, row.period!) };
    });
  }

  async get(key: string): Promise<BudgetReservation | null> {
    const { rows } = await this.pool.query<ReservationRow>('SELECT * FROM budget_reservations WHERE key = $1', [key]);
    return rows[0] ? reservationOf(rows[0]) : null;
  }

  /** The journal of one key, oldest first. */
  async entries(key: string): Promise<BudgetEntry[]> {
    const { rows } = await this.pool.query<{ key: string; kind: BudgetEntry['kind']; amount_micros: string; at: Date }>(
      'SELECT key, kind, amount_micros, at FROM budget_entries WHERE key = $1 ORDER BY id', [key],
    );
    return rows.map((row) => ({ key: row.key, kind: row.kind, amount: fromMicros(microsFromSql(row.amount_micros)), at: row.at }));
  }

  /** Each requested level (user, team) plus the org, in the current period, most specific first. */
  async status(query: { user?: string; team?: string } = {}, now: Date = new Date()): Promise<BudgetLevelStatus[]> {
    return this.levelsOf(this.pool, targetsOf(query, REPORT_ORDER), this.periodAt(now));
  }

  /** Policy context flags for an operation about to reserve `estimatedCost` (see budgetContext). */
  async budgetContext(entities: BudgetEntities, estimatedCost: number, now: Date = new Date()): Promise<BudgetContext> {
    return budgetContext(await this.status(entities, now), estimatedCost, this.budgets);
  }

  /** Override a limit at run time (null: explicitly unlimited); the config file's applies otherwise. */
  async setLimit(level: BudgetLevel, entity: string, amount: number | null): Promise<void> {
    await setLimit(this.pool, ...this.limitTarget(level, entity), amount);
  }

  /** Drop a run-time override; returns whether there was one. */
  async clearLimit(level: BudgetLevel, entity: string): Promise<boolean> {
    return clearLimit(this.pool, ...this.limitTarget(level, entity));
  }

  /**
   * Release reservations older than `olderThanMs` whose workflow has closed without
   * committing or releasing them (a terminated workflow runs no compensation). The
   * callback keeps the ledger free of Temporal.
   */
  async releaseStale(
    isWorkflowClosed: (key: string) => Promise<boolean>,
    olderThanMs: number,
    now: Date = new Date(),
    batchSize = 500,
  ): Promise<ReleaseStaleResult> {
    const { rows } = await this.pool.query<{ key: string }>(
      `SELECT key FROM budget_reservations WHERE state = 'reserved' AND created_at < $1 ORDER BY created_at LIMIT $2`,
      [new Date(now.getTime() - olderThanMs), batchSize],
    );
    const released: string[] = [];
    for (const { key } of rows) {
      let closed: boolean;
      try {
        closed = await isWorkflowClosed(key);
      } catch (error) {
        logger.warn({ err: error, key }, 'cannot tell whether the workflow holding a budget reservation has closed; keeping it');
        continue;
      }
      if (!closed) continue;
      const reservation = await this.release(key, now);
      if (reservation.state === 'released') released.push(key);
    }
    return { checked: rows.length, released };
  }

  private limitTarget(level: BudgetLevel, entity: string): [BudgetLevel, string] {
    if (!BUDGET_LEVELS.includes(level)) {
      throw new TollgateInputError(`budget level: expected one of ${BUDGET_LEVELS.join(', ')}, got "${String(level)}"`, 'level');
    }
    if (level === 'org') return [level, ORG_ENTITY];
    if (typeof entity !== 'string' || entity.length === 0) throw new TollgateInputError(`budget ${level}: must be a non-empty string`, level);
    return [level, entity];
  }

  private async levelsOf(db: Queryable, targets: readonly Target[], period: string): Promise<BudgetLevelStatus[]> {
    const { rows } = await db.query<TotalsRow>(
      `SELECT t.level, t.entity, COALESCE(b.spent_micros, 0) AS spent_micros, COALESCE(b.reserved_micros, 0) AS reserved_micros,
              l.limit_micros, l.level IS NOT NULL AS overridden
         FROM unnest($1::text[], $2::text[]) AS t(level, entity)
         LEFT JOIN budget_totals b ON b.level = t.level AND b.entity = t.entity AND b.period = $3
         LEFT JOIN budget_limits l ON l.level = t.level AND l.entity = t.entity`,
      [targets.map((t) => t.level), targets.map((t) => t.entity), period],
    );
    return this.statusOf(rows, period);
  }

  private statusOf(rows: readonly TotalsRow[], period: string): BudgetLevelStatus[] {
    return REPORT_ORDER.flatMap((level) => rows.filter((row) => row.level === level)).map((row) => levelStatus({
      level: row.level,
      entity: row.entity,
      spentMicros: microsFromSql(row.spent_micros),
      reservedMicros: microsFromSql(row.reserved_micros),
      limitMicros: effectiveLimitMicros(this.budgets, row.level, row.entity, row),
      period,
      // The period's own kind: a reservation may predate a change of budgets.period.
      periodKind: periodKindOf(period),
    }));
  }
}
