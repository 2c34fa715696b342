import { logger } from '../log.js';
import type { Queryable } from '../store/connect.js';
import { formatMoney, fromMicros, microsFromSql, wholeMicros } from './money.js';
import { formatBudgetOverrun } from './overrun.js';
import { periodAdjective, type BudgetPeriod } from './period.js';
import type { BudgetLevel, BudgetLevelStatus, BudgetOverrun } from './types.js';

/** A level's committed spend reached a threshold of its limit in a period. */
export interface BudgetAlert {
  level: BudgetLevel;
  entity: string;
  /** Period key, e.g. "2025-11". */
  period: string;
  periodKind: BudgetPeriod;
  /** Fraction of the limit, e.g. 0.8. */
  threshold: number;
  /** Spend and limit when the crossing was recorded. */
  spent: number;
  limit: number;
  /** spent / limit in percent. */
  percent: number;
  createdAt: Date;
}

/** Where alerts go (Slack, console, ...); implementations live with their transport. */
export interface BudgetAlertSink {
  sendBudgetAlert(alert: BudgetAlert): Promise<void>;
  /** An operation cost more than it reserved, past a limit; `deliverBudgetOverrun` logs it when a sink has no such method. */
  sendBudgetOverrun?(overrun: BudgetOverrun): Promise<void>;
}

/** Thresholds in basis points, so that 0.8 compares exactly. */
const basisPoints = (threshold: number) => Math.round(threshold * 10_000);

/**
 * The thresholds (fractions of the limit) that `spent` has reached, lowest first. Exact: the
 * comparison is spent * 10000 >= threshold_bp * limit on integers. A zero limit has none.
 */
export function crossedThresholds(spentMicros: number, limitMicros: number, thresholds: readonly number[]): number[] {
  if (limitMicros <= 0) return [];
  const spent = BigInt(spentMicros) * 10_000n;
  return [...new Set(thresholds)]
    .filter((threshold) => spent >= BigInt(basisPoints(threshold)) * BigInt(limitMicros))
    .sort((a, b) => a - b);
}

const LEVEL_NAME: Record<BudgetLevel, string> = { user: 'User', team: 'Team', org: 'Organization' };

/** "Budget Alert: Team team-platform has used 80.0% of monthly budget ($800.00 / $1000.00)" */
export function formatBudgetAlert(alert: BudgetAlert): string {
  const who = alert.level === 'org' ? LEVEL_NAME.org : `${LEVEL_NAME[alert.level]} ${alert.entity}`;
  return `Budget Alert: ${who} has used ${alert.percent.toFixed(1)}% of ${periodAdjective(alert.periodKind)} budget `
    + `($${formatMoney(wholeMicros(alert.spent))} / $${formatMoney(wholeMicros(alert.limit))})`;
}

interface AlertRow {
  level: BudgetLevel;
  entity: string;
  period: string;
  period_kind: BudgetPeriod;
  threshold_bp: number;
  spent_micros: string;
  limit_micros: string;
  created_at: Date;
}

function alertOf(row: AlertRow): BudgetAlert {
  const spent = microsFromSql(row.spent_micros);
  const limit = microsFromSql(row.limit_micros);
  return {
    level: row.level,
    entity: row.entity,
    period: row.period,
    periodKind: row.period_kind,
    threshold: row.threshold_bp / 10_000,
    spent: fromMicros(spent),
    limit: fromMicros(limit),
    percent: Math.round((spent * 10_000) / limit) / 100,
    createdAt: row.created_at,
  };
}

/**
 * Record the thresholds each level has crossed (typically the levels a commit returned) and
 * return only those not recorded before. The table's primary key decides: whichever worker
 * inserts a (level, entity, period, threshold) first gets it back, every other retry or
 * parallel committer gets nothing, so each alert fires once.
 */
export async function recordBudgetAlerts(
  db: Queryable,
  levels: readonly BudgetLevelStatus[],
  thresholds: readonly number[],
  now: Date = new Date(),
): Promise<BudgetAlert[]> {
  const crossings = levels.flatMap((status) => {
    if (status.limit === null) return [];
    const spentMicros = wholeMicros(status.spent);
    const limitMicros = wholeMicros(status.limit);
    return crossedThresholds(spentMicros, limitMicros, thresholds).map((threshold) => ({ status, threshold, spentMicros, limitMicros }));
  });
  if (crossings.length === 0) return [];
  const { rows } = await db.query<AlertRow>(
    `INSERT INTO budget_alerts (level, entity, period, threshold_bp, period_kind, spent_micros, limit_micros, created_at)
     SELECT u.*, $8::timestamptz
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::bigint[], $7::bigint[]) AS u
     ON CONFLICT (level, entity, period, threshold_bp) DO NOTHING
     RETURNING level, entity, period, period_kind, threshold_bp, spent_micros, limit_micros, created_at`,
    [
      crossings.map((c) => c.status.level),
      crossings.map((c) => c.status.entity),
      crossings.map((c) => c.status.period),
      crossings.map((c) => basisPoints(c.threshold)),
      crossings.map((c) => c.status.periodKind),
      crossings.map((c) => c.spentMicros),
      crossings.map((c) => c.limitMicros),
      now,
    ],
  );
  return rows.map(alertOf).sort((a, b) => a.level.localeCompare(b.level) || a.threshold - b.threshold);
}

/**
 * Send alerts and mark each delivered. A failed send is logged and left undelivered, for
 * `undeliveredBudgetAlerts` to find; it is not retried here.
 */
export async function deliverBudgetAlerts(db: Queryable, sink: BudgetAlertSink, alerts: readonly BudgetAlert[]): Promise<number> {
  let delivered = 0;
  for (const alert of alerts) {
    try {
      await sink.sendBudgetAlert(alert);
    } catch (error) {
      logger.warn({ err: error, level: alert.level, entity: alert.entity, threshold: alert.threshold }, 'budget alert not delivered');
      continue;
    }
    await db.query(
      `UPDATE budget_alerts SET delivered_at = now()
        WHERE level = $1 AND entity = $2 AND period = $3 AND threshold_bp = $4 AND delivered_at IS NULL`,
      [alert.level, alert.entity, alert.period, basisPoints(alert.threshold)],
    );
    delivered++;
  }
  return delivered;
}

/** Alerts recorded at least `olderThanMs` ago and never delivered (a crash or a failed send). */
export async function undeliveredBudgetAlerts(db: Queryable, olderThanMs: number, now: Date = new Date()): Promise<BudgetAlert[]> {
  const { rows } = await db.query<AlertRow>(
    `SELECT level, entity, period, period_kind, threshold_bp, spent_micros, limit_micros, created_at
       FROM budget_alerts WHERE delivered_at IS NULL AND created_at <= $1 ORDER BY created_at`,
    [new Date(now.getTime() - olderThanMs)],
  );
  return rows.map(alertOf);
}

/**
 * Send an overrun's alert, unless it was sent already (a retried commit reports the overrun
 * again), and record it sent. A sink without `sendBudgetOverrun` gets it in the log, at warn
 * level. A failed send is logged and left unsent, so the next retry of the commit sends it.
 */
export async function deliverBudgetOverrun(sink: BudgetAlertSink, overrun: BudgetOverrun, markSent: () => Promise<boolean>): Promise<boolean> {
  if (overrun.alerted) return false;
  try {
    if (sink.sendBudgetOverrun) await sink.sendBudgetOverrun(overrun);
    else logger.warn({ overrun }, formatBudgetOverrun(overrun));
  } catch (error) {
    logger.warn({ err: error, key: overrun.key }, 'budget overrun alert not delivered');
    return false;
  }
  return markSent();
}
