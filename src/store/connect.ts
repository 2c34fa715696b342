import pg from 'pg';
import { InfrastructureUnavailableError } from '../errors.js';
import { logger } from '../log.js';

/** Anything that runs a query: a pool, a client inside a transaction, or a test's stand-in. */
export interface Queryable {
  query<R = any>(text: string, params?: unknown[]): Promise<{ rows: R[]; rowCount?: number | null }>;
}

export interface ConnectOptions {
  /** Pool size (default 16). */
  max?: number;
  /** Postgres `options` startup parameter, e.g. `-c search_path=t_abc` for a test schema. */
  options?: string;
  /**
   * How long a query may wait for a pooled connection, queueing for a free client included
   * (default 30 s: a burst of work on a full pool must not fail just for waiting its turn).
   */
  connectionTimeoutMillis?: number;
}

/** The URL with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable database url)';
  }
}

/**
 * A `pg` pool over a Postgres URL (a real server or the embedded PGlite socket server).
 * Idle-client errors are logged rather than crashing the process: a restarted database
 * must not take the service down with it.
 */
export function connectDatabase(url: string, options: ConnectOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 16,
    options: options.options,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 30_000,
  });
  pool.on('error', (error) => {
    logger.warn({ err: error, database: redactUrl(url) }, 'idle database connection failed');
  });
  return pool;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', '57P03']);

/** True for errors that mean "the database is not there", as opposed to a bad query. */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
  const message = (error as Error | null)?.message ?? '';
  return /timeout exceeded when trying to connect|Connection terminated unexpectedly/i.test(message);
}

/**
 * Connect once and run `SELECT 1`, so that an unreachable database fails at start-up within
 * a few seconds, with a message that says what to do, instead of in the first real query.
 */
export async function probeDatabase(url: string, hint: string, options: Pick<ConnectOptions, 'options'> = {}): Promise<void> {
  const client = new pg.Client({ connectionString: url, options: options.options, connectionTimeoutMillis: 5_000 });
  // A failed connect may still emit 'error' later; it is reported through the rejection below.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    // Refused, timed out, wrong password, no such database: the store cannot be used either way.
    const reason = (error as Error).message || (error as { code?: string }).code || String(error);
    const advice = isUnreachable(error) ? hint : 'check database.url / DATABASE_URL';
    throw new InfrastructureUnavailableError(`database unavailable at ${redactUrl(url)} (${reason}): ${advice}`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}
