import type pg from 'pg';
import { budgetAdjustmentEntry, budgetLimitSetEntry } from '../audit/entries.js';
import type { AuditEntryInput } from '../audit/types.js';
import { TollgateInputError } from '../errors.js';
import { logger } from '../log.js';
import { Batcher } from './batch.js';
import { budgetContext, type BudgetContext } from './context.js';
import { BudgetExceededError, BudgetReservationNotFoundError, BudgetReservationStateError } from './errors.js';
import { configuredLimitsJson } from './limits.js';
import { costToMicros, fromMicros, limitToMicros, MAX_PERIOD_AMOUNT, MICROS_PER_UNIT, microsFromSql } from './money.js';
import { budgetOverrun } from './overrun.js';
import { periodKey, periodKindOf } from './period.js';
import { levelStatus } from './status.js';
import {
  BUDGET_LEVELS, ORG_ENTITY,
  type AdjustResult, type BudgetChange, type BudgetEntities, type BudgetEntry, type BudgetLevel, type BudgetLevelStatus,
  type BudgetReservation, type BudgetsConfig, type CommitResult, type ReservationState, type ReserveResult,
} from './types.js';

/** Where the ledger audits the changes people make; `AuditTrail` fits. */
export interface BudgetAuditSink {
  append(entries: AuditEntryInput[]): Promise<unknown>;
}

export interface BudgetLedgerOptions {
  /**
   * Audit adjustments and limit changes here, right after each is committed (AuditTrail's
   * append runs its own transaction). Entries are keyed by the ledger's journal, so a call
   * retried after a lost append writes the entry then, and never twice.
   */
  audit?: BudgetAuditSink;
}

interface Target {
  level: BudgetLevel;
  entity: string;
}

type Snapshot = Pick<ApplyRow, 'levels' | 'entities' | 'spent' | 'reserved' | 'limits'>;

interface ReservationRow {
  key: string;
  state: ReservationState | null;
  user_entity: string | null;
  team_entity: string | null;
  period: string | null;
  estimated_micros: string | null;
  actual_micros: string | null;
  overrun_micros: string | null;
  unpaid_micros: string | null;
  overrun_alerted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** One result of `budget_apply` (migration 005): the operation's outcome and the reservation after it. */
interface ApplyRow extends ReservationRow {
  outcome: string;
  entry: string | null;
  failed: BudgetLevel | null;
  levels: BudgetLevel[] | null;
  entities: string[] | null;
  spent: string[] | null;
  reserved: string[] | null;
  limits: (string | null)[] | null;
}

interface LedgerOp {
  kind: 'reserve' | 'commit' | 'release' | 'adjust';
  key: string;
  at: Date;
  user?: string;
  team?: string | null;
  period?: string;
  amount?: number;
  actor?: string;
  reason?: string;
}

interface TotalsRow {
  level: BudgetLevel;
  entity: string;
  spent_micros: string;
  reserved_micros: string;
  limit_micros: string | null;
}

interface LimitChangeRow {
  changed: boolean;
  id: string | null;
  level: BudgetLevel;
  entity: string;
  overridden: boolean;
  limit_micros: string | null;
  previous_micros: string | null;
  actor: string;
  reason: string | null;
  at: Date;
}

/** Levels most specific first, as `status` reports them. */
const REPORT_ORDER: readonly BudgetLevel[] = BUDGET_LEVELS;

const APPLY = `SELECT o_op AS op, o_outcome AS outcome, o_entry AS entry, o_failed AS failed, o_key AS key, o_state AS state,
    o_user AS user_entity, o_team AS team_entity, o_period AS period, o_estimated AS estimated_micros, o_actual AS actual_micros,
    o_overrun AS overrun_micros, o_unpaid AS unpaid_micros, o_alerted_at AS overrun_alerted_at, o_created_at AS created_at,
    o_updated_at AS updated_at, o_levels AS levels, o_entities AS entities, o_spent AS spent, o_reserved AS reserved, o_limits AS limits
  FROM budget_apply($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::timestamptz[], $8::text[], $9::text[],
    $10::jsonb, $11::boolean, $12::bigint)`;

const CEILING_MICROS = MAX_PERIOD_AMOUNT * MICROS_PER_UNIT;

function targetsOf(entities: { user?: string; team?: string }): Target[] {
  const byLevel: Record<BudgetLevel, string | undefined> = { user: entities.user, team: entities.team, org: ORG_ENTITY };
  return REPORT_ORDER.filter((level) => byLevel[level] !== undefined).map((level) => ({ level, entity: byLevel[level]! }));
}

function entitiesOf(row: Pick<ReservationRow, 'user_entity' | 'team_entity'>): BudgetEntities | null {
  if (row.user_entity === null) return null;
  return row.team_entity === null
    ? { user: row.user_entity, org: ORG_ENTITY }
    : { user: row.user_entity, team: row.team_entity, org: ORG_ENTITY };
}

function reservationOf(row: ReservationRow): BudgetReservation {
  return {
    key: row.key,
    state: row.state!,
    entities: entitiesOf(row),
    period: row.period,
    estimated: fromMicros(microsFromSql(row.estimated_micros)),
    actual: row.actual_micros === null ? null : fromMicros(microsFromSql(row.actual_micros)),
    overrun: fromMicros(microsFromSql(row.overrun_micros)),
    unpaid: fromMicros(microsFromSql(row.unpaid_micros)),
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

function checkChange(change: BudgetChange | undefined): Required<Pick<BudgetChange, 'actor' | 'now'>> & Pick<BudgetChange, 'reason'> {
  const actor = typeof change?.actor === 'string' ? change.actor.trim() : '';
  if (!actor) throw new TollgateInputError('actor: who made the change is required, for the audit trail (the CLI takes --actor, else $USER)', 'actor');
  if (change!.reason !== undefined && typeof change!.reason !== 'string') throw new TollgateInputError('reason: expected a string', 'reason');
  return { actor, reason: change!.reason, now: change!.now ?? new Date() };
}

export interface ReleaseStaleResult {
  /** Open reservations older than the threshold that were looked at. */
  checked: number;
  /** Keys released because their workflow had closed. */
  released: string[];
}

/**
 * Hierarchical budgets (user, team, org) in SQL. Reserving checks and holds the estimate at
 * every level atomically, so concurrent requests cannot overspend together; a commit above its
 * estimate rechecks the difference the same way (`budgets.overrun` says what happens when it
 * does not fit). Reserve, commit, release and adjust are idempotent by key (the workflow id),
 * so activity retries never double-count.
 *
 * The four go through one statement per batch (`budget_apply`, migration 005; see batch.ts):
 * every one of them takes the org's row, so they queue for it anyway, and a batch pays for the
 * row lock and the durable commit once. Limits are checked in SQL against the rows it locked;
 * no level holds more than MAX_PERIOD_AMOUNT in a period, so totals stay exact.
 */
export class BudgetLedger {
  private readonly limitsJson: string;
  private readonly batch: Batcher<LedgerOp, ApplyRow>;
  private readonly audit?: BudgetAuditSink;

  constructor(private readonly pool: pg.Pool, private readonly budgets: BudgetsConfig, options: BudgetLedgerOptions = {}) {
    this.limitsJson = configuredLimitsJson(budgets);
    this.audit = options.audit;
    this.batch = new Batcher((ops) => this.apply(ops));
  }

  /** The period key a moment falls in, under the configured period. */
  periodAt(now: Date = new Date()): string {
    return periodKey(now, this.budgets.period);
  }

  /**
   * Hold `amount` against the user, team and org budgets of the current period, or throw
   * BudgetExceededError (nothing held) if any level would go over its limit or the ledger's
   * maximum per period. A key that was seen before returns its reservation unchanged, whatever
   * its state. Amounts below a micro-unit cost one.
   */
  async reserve(key: string, entities: BudgetEntities, amount: number, now: Date = new Date()): Promise<ReserveResult> {
    checkKey(key);
    checkEntities(entities);
    const micros = costToMicros(amount, 'estimatedCost');
    const period = this.periodAt(now);
    const row = await this.batch.submit({ kind: 'reserve', key, user: entities.user, team: entities.team ?? null, period, amount: micros, at: now });
    if (row.outcome === 'exceeded') throw this.exceeded(row, period, micros);
    const reservation = reservationOf(row);
    if (row.outcome === 'created') return { ...reservation, created: true };
    if (reservation.entities && (microsFromSql(row.estimated_micros) !== micros || reservation.entities.user !== entities.user
      || reservation.entities.team !== entities.team)) {
      logger.warn({ key, existing: { ...reservation.entities, estimated: reservation.estimated }, retried: { ...entities, estimated: amount } },
        'budget reserve repeated with different terms; keeping the first reservation');
    }
    return { ...reservation, created: false };
  }

  /**
   * Turn the reservation into spend of `actualAmount` (which may differ from the estimate), in
   * the period it was reserved in. Above the estimate, the difference must fit every limit;
   * when it does not, `overrun` says so and `budgets.overrun` decides what is charged: all of
   * it (record) or the estimate only, leaving the rest unpaid (refuse). Committing again
   * returns the first commit (and its overrun) unchanged; committing a released reservation
   * throws BudgetReservationStateError.
   */
  async commit(key: string, actualAmount: number, now: Date = new Date()): Promise<CommitResult> {
    checkKey(key);
    const actual = costToMicros(actualAmount, 'actualCost');
    const row = await this.batch.submit({ kind: 'commit', key, amount: actual, at: now });
    if (row.outcome === 'not_found') throw new BudgetReservationNotFoundError(key, 'commit');
    if (row.outcome === 'released') throw new BudgetReservationStateError(key, 'released', 'commit');
    const reported = microsFromSql(row.actual_micros) + microsFromSql(row.unpaid_micros);
    if (row.outcome === 'existing' && reported !== actual) {
      logger.warn({ key, committed: fromMicros(reported), retried: actualAmount },
        'budget commit retried with a different amount; keeping the first (use adjust to correct it)');
    }
    const reservation = reservationOf(row);
    const levels = this.snapshotStatus(row, row.period!);
    const overrun = reservation.overrun === 0 ? null : budgetOverrun({
      key, entities: reservation.entities!, period: row.period!, periodKind: periodKindOf(row.period!),
      reserved: reservation.estimated, charged: reservation.actual!, unpaid: reservation.unpaid, levels,
      alerted: row.overrun_alerted_at !== null,
    });
    return { reservation, levels, overrun };
  }

  /** Record that an overrun's alert went out; true for the one call that did, so it is sent once. */
  async markOverrunAlerted(key: string, now: Date = new Date()): Promise<boolean> {
    const result = await this.pool.query(
      'UPDATE budget_reservations SET overrun_alerted_at = $2 WHERE key = $1 AND overrun_micros > 0 AND overrun_alerted_at IS NULL', [key, now]);
    return (result.rowCount ?? 0) > 0;
  }

  /**
   * Drop the reservation (reject, timeout, cancel, failure). Idempotent, and a no-op after a
   * commit. Releasing a key never reserved leaves a tombstone, so that a reserve retried
   * after this compensation cannot hold budget for a workflow that has given up.
   */
  async release(key: string, now: Date = new Date()): Promise<BudgetReservation> {
    checkKey(key);
    return reservationOf(await this.batch.submit({ kind: 'release', key, at: now }));
  }

  /**
   * Correct a committed amount afterwards (e.g. the provider's invoice), which also settles
   * what an overrun left unpaid. A person's correction is not held to the limits, since the
   * money is spent, only to the ledger's maximum per period. Idempotent; audited with the actor.
   */
  async adjust(key: string, actualAmount: number, change: BudgetChange): Promise<AdjustResult> {
    checkKey(key);
    const { actor, reason, now } = checkChange(change);
    const actual = costToMicros(actualAmount, 'actualCost');
    const row = await this.batch.submit({ kind: 'adjust', key, amount: actual, at: now, actor, reason });
    if (row.outcome === 'not_found') throw new BudgetReservationNotFoundError(key, 'adjust');
    if (row.outcome === 'reserved' || row.outcome === 'released') throw new BudgetReservationStateError(key, row.outcome, 'adjust');
    if (row.outcome === 'exceeded') throw this.exceeded(row, row.period!, actual - microsFromSql(row.actual_micros), true);
    if (row.entry !== null) await this.auditAdjustment(row.entry);
    return { reservation: reservationOf(row), levels: this.snapshotStatus(row, row.period!) };
  }

  async get(key: string): Promise<BudgetReservation | null> {
    const { rows } = await this.pool.query<ReservationRow>('SELECT * FROM budget_reservations WHERE key = $1', [key]);
    return rows[0] ? reservationOf(rows[0]) : null;
  }

  /** The journal of one key, oldest first. */
  async entries(key: string): Promise<BudgetEntry[]> {
    const { rows } = await this.pool.query<{ key: string; kind: BudgetEntry['kind']; amount_micros: string; at: Date; actor: string | null }>(
      'SELECT key, kind, amount_micros, at, actor FROM budget_entries WHERE key = $1 ORDER BY id', [key],
    );
    return rows.map((row) => ({ key: row.key, kind: row.kind, amount: fromMicros(microsFromSql(row.amount_micros)), at: row.at, actor: row.actor }));
  }

  /**
   * Each requested level (user, team) plus the org, in the current period, most specific first.
   * Never fails on what is stored, even totals written before the ledger had a maximum.
   */
  async status(query: { user?: string; team?: string } = {}, now: Date = new Date()): Promise<BudgetLevelStatus[]> {
    const targets = targetsOf(query);
    const period = this.periodAt(now);
    const { rows } = await this.pool.query<TotalsRow>(
      `SELECT t.level, t.entity, COALESCE(b.spent_micros, 0) AS spent_micros, COALESCE(b.reserved_micros, 0) AS reserved_micros,
              budget_effective_limit(t.level, t.entity, $4::jsonb) AS limit_micros
         FROM unnest($1::text[], $2::text[]) AS t(level, entity)
         LEFT JOIN budget_totals b ON b.level = t.level AND b.entity = t.entity AND b.period = $3`,
      [targets.map((t) => t.level), targets.map((t) => t.entity), period, this.limitsJson],
    );
    return this.statusOf(rows, period);
  }

  /** Policy context flags for an operation about to reserve `estimatedCost` (see budgetContext). */
  async budgetContext(entities: BudgetEntities, estimatedCost: number, now: Date = new Date()): Promise<BudgetContext> {
    return budgetContext(await this.status(entities, now), estimatedCost, this.budgets);
  }

  /** Override a limit at run time (null: explicitly unlimited); the config file's applies otherwise. Audited. */
  async setLimit(level: BudgetLevel, entity: string, amount: number | null, change: BudgetChange): Promise<void> {
    const target = this.limitTarget(level, entity);
    const checked = checkChange(change);
    const micros = amount === null ? null : limitToMicros(amount, 'limit');
    await this.changeLimit(target, true, micros, checked);
  }

  /** Drop a run-time override, so the config file's limit applies again; returns whether there was one. Audited. */
  async clearLimit(level: BudgetLevel, entity: string, change: BudgetChange): Promise<boolean> {
    return this.changeLimit(this.limitTarget(level, entity), false, null, checkChange(change));
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

  private async apply(ops: readonly LedgerOp[]): Promise<ApplyRow[]> {
    const column = <T>(pick: (op: LedgerOp) => T) => ops.map(pick);
    const { rows } = await this.pool.query<ApplyRow & { op: number }>(APPLY, [
      column((op) => op.kind), column((op) => op.key), column((op) => op.user ?? null), column((op) => op.team ?? null),
      column((op) => op.period ?? null), column((op) => op.amount ?? null), column((op) => op.at), column((op) => op.actor ?? null),
      column((op) => op.reason ?? null), this.limitsJson, this.budgets.overrun === 'refuse', CEILING_MICROS,
    ]);
    return rows.sort((a, b) => a.op - b.op);
  }

  private async changeLimit(target: [BudgetLevel, string], override: boolean, micros: number | null, change: ReturnType<typeof checkChange>): Promise<boolean> {
    const { rows } = await this.pool.query<LimitChangeRow>(
      'SELECT * FROM budget_set_limit($1, $2, $3, $4, $5::jsonb, $6, $7, $8)',
      [...target, override, micros, this.limitsJson, change.actor, change.reason ?? null, change.now],
    );
    const row = rows[0];
    if (this.audit && row.id !== null) {
      const amount = (value: string | null) => (value === null ? null : fromMicros(microsFromSql(value)));
      await this.audit.append([budgetLimitSetEntry({
        change: Number(row.id), level: row.level, entity: row.entity, overridden: row.overridden, limit: amount(row.limit_micros),
        previous: amount(row.previous_micros), actor: row.actor, reason: row.reason ?? undefined, at: row.at,
      })]);
    }
    return row.changed;
  }

  /** The audit entry of one adjustment, rebuilt from the journal, so a retry writes the same one. */
  private async auditAdjustment(entry: string): Promise<void> {
    if (!this.audit) return;
    const { rows } = await this.pool.query<{
      id: string; key: string; amount_micros: string; at: Date; actor: string; detail: { previous: number; unpaid: number; reason: string | null };
      user_entity: string; team_entity: string | null; period: string;
    }>(
      `SELECT e.id, e.key, e.amount_micros, e.at, e.actor, e.detail, r.user_entity, r.team_entity, r.period
         FROM budget_entries e JOIN budget_reservations r ON r.key = e.key WHERE e.id = $1`, [entry],
    );
    const row = rows[0];
    const previous = microsFromSql(row.detail.previous);
    const delta = microsFromSql(row.amount_micros);
    await this.audit.append([budgetAdjustmentEntry({
      operationId: row.key, entry: Number(row.id), actor: row.actor, amount: fromMicros(delta), previous: fromMicros(previous),
      actual: fromMicros(previous + delta), unpaid: fromMicros(microsFromSql(row.detail.unpaid)),
      user: row.user_entity, team: row.team_entity ?? undefined, period: row.period, reason: row.detail.reason ?? undefined, at: row.at,
    })]);
  }

  /**
   * The refusal of a reservation, or of an adjustment (which only the ceiling can refuse), from
   * the levels the statement returned. A level refused with no limit below the ceiling was
   * refused by the ceiling.
   */
  private exceeded(row: ApplyRow, period: string, requestedMicros: number, ceilingOnly = false): BudgetExceededError {
    const levels = this.snapshotRows(row);
    const failed = levels.find((level) => level.level === row.failed)!;
    const limitMicros = failed.limit_micros === null ? null : microsFromSql(failed.limit_micros);
    const ceiling = ceilingOnly || limitMicros === null || limitMicros > CEILING_MICROS;
    return new BudgetExceededError({
      level: failed.level, entity: failed.entity, limitMicros: ceiling ? CEILING_MICROS : limitMicros!,
      spentMicros: microsFromSql(failed.spent_micros), reservedMicros: microsFromSql(failed.reserved_micros),
      requestedMicros, period, periodKind: this.budgets.period, ceiling,
    });
  }

  private snapshotRows(snapshot: Snapshot): TotalsRow[] {
    return (snapshot.levels ?? []).map((level, i) => ({
      level, entity: snapshot.entities![i], spent_micros: snapshot.spent![i], reserved_micros: snapshot.reserved![i], limit_micros: snapshot.limits![i],
    }));
  }

  private snapshotStatus(snapshot: Snapshot, period: string): BudgetLevelStatus[] {
    return this.statusOf(this.snapshotRows(snapshot), period);
  }

  private limitTarget(level: BudgetLevel, entity: string): [BudgetLevel, string] {
    if (!BUDGET_LEVELS.includes(level)) {
      throw new TollgateInputError(`budget level: expected one of ${BUDGET_LEVELS.join(', ')}, got "${String(level)}"`, 'level');
    }
    if (level === 'org') return [level, ORG_ENTITY];
    if (typeof entity !== 'string' || entity.length === 0) throw new TollgateInputError(`budget ${level}: must be a non-empty string`, level);
    return [level, entity];
  }

  private statusOf(rows: readonly TotalsRow[], period: string): BudgetLevelStatus[] {
    return REPORT_ORDER.flatMap((level) => rows.filter((row) => row.level === level)).map((row) => levelStatus({
      level: row.level,
      entity: row.entity,
      spentMicros: microsFromSql(row.spent_micros),
      reservedMicros: microsFromSql(row.reserved_micros),
      limitMicros: row.limit_micros === null ? null : microsFromSql(row.limit_micros),
      period,
      // The period's own kind: a reservation may predate a change of budgets.period.
      periodKind: periodKindOf(period),
    }));
  }
}
