/**
 * The rollout percentage in SQL, so `tollgate rollout set 25` reaches every running worker without
 * a restart. Workers poll it (a cheap one-row read every few seconds) rather than read it per
 * evaluation; a change applies to operations evaluated after the next poll.
 */
import type { Queryable } from '../store/connect.js';
import { logger } from '../log.js';

export interface RolloutSetting {
  percentage: number;
  updatedAt: Date;
  updatedBy: string;
}

export async function readRolloutSetting(db: Queryable): Promise<RolloutSetting | null> {
  const { rows } = await db.query<{ percentage: string; updated_at: Date; updated_by: string }>('SELECT percentage, updated_at, updated_by FROM rollout_state');
  return rows[0] ? { percentage: Number(rows[0].percentage), updatedAt: rows[0].updated_at, updatedBy: rows[0].updated_by } : null;
}

export async function writeRolloutSetting(db: Queryable, percentage: number, updatedBy: string): Promise<RolloutSetting> {
  if (!Number.isFinite(percentage) || percentage < 0 || percentage > 100) throw new RangeError(`rollout percentage must be between 0 and 100, got ${percentage}`);
  const { rows } = await db.query<{ percentage: string; updated_at: Date; updated_by: string }>(
    `INSERT INTO rollout_state (id, percentage, updated_at, updated_by) VALUES (true, $1, now(), $2)
     ON CONFLICT (id) DO UPDATE SET percentage = EXCLUDED.percentage, updated_at = now(), updated_by = EXCLUDED.updated_by
     RETURNING percentage, updated_at, updated_by`,
    [percentage, updatedBy],
  );
  return { percentage: Number(rows[0].percentage), updatedAt: rows[0].updated_at, updatedBy: rows[0].updated_by };
}

/** The percentage a worker uses: SQL's when set, else config's; refreshed by `poll()`. */
export class RolloutPercentage {
  private value: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Queryable | undefined, private readonly configured: number) {
    this.value = configured;
  }

  current = (): number => this.value;

  async refresh(): Promise<void> {
    if (!this.db) return;
    const setting = await readRolloutSetting(this.db);
    const next = setting?.percentage ?? this.configured;
    if (next !== this.value) logger.info({ from: this.value, to: next, by: setting?.updatedBy }, 'rollout percentage changed');
    this.value = next;
  }

  /** Keep refreshing every `intervalMs` until `stop()`. A failed read keeps the last value. */
  poll(intervalMs = 2_000): () => void {
    this.timer = setInterval(() => {
      this.refresh().catch((error) => logger.warn({ err: error }, 'could not read the rollout percentage; keeping the last one'));
    }, intervalMs);
    this.timer.unref();
    return () => clearInterval(this.timer);
  }
}
