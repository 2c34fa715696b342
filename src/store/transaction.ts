import type pg from 'pg';

/** SQLSTATEs after which a transaction may simply be run again. */
const RETRYABLE = new Set(['40001', '40P01']);

export interface TransactionOptions {
  /** Extra attempts after a serialization failure or a deadlock (default 3). */
  retries?: number;
}

/**
 * Run `fn` in one transaction on one pooled client: COMMIT when it resolves, ROLLBACK when
 * it throws. Serialization failures and deadlocks are retried, so `fn` must be safe to run
 * again from the start (it only talks to the database through `client`).
 *
 * On embedded PGlite every other connection waits while a transaction is open, so `fn`
 * must not wait on another pooled query or it waits for itself.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // A client whose rollback failed has unknown state: drop it instead of reusing it.
          broken = rollbackError as Error;
        }
        throw error;
      }
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code && RETRYABLE.has(code) && attempt < retries && !broken) continue;
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
