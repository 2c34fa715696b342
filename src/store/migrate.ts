import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { logger } from '../log.js';

const MIGRATION_FILE = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** Any constant will do, as long as every Tollgate process uses the same one. */
const MIGRATION_LOCK_KEY = 7_401_318_221;

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

/**
 * The migrations folder beside this file. A `tsc` build does not copy .sql files into
 * dist/, so a compiled copy falls back to the source tree it was built from.
 */
export function migrationsDir(): string {
  const beside = fileURLToPath(new URL('./migrations/', import.meta.url));
  if (existsSync(beside)) return beside;
  const source = beside.replace(/([\\/])dist\1src\1/, '$1src$1');
  if (existsSync(source)) return source;
  throw new Error(`migrations folder not found at ${beside}`);
}

/** Migrations in filename order; a malformed name or a reused number is a packaging error. */
export function loadMigrations(dir: string = migrationsDir()): Migration[] {
  const files = readdirSync(dir).filter((file) => file.endsWith('.sql')).sort();
  const seen = new Map<number, string>();
  return files.map((file) => {
    const match = MIGRATION_FILE.exec(file);
    if (!match) throw new Error(`${dir}/${file}: migration files are named NNN_name.sql (e.g. 004_rollout.sql)`);
    const version = Number(match[1]);
    const clash = seen.get(version);
    if (clash) throw new Error(`${dir}: ${file} and ${clash} share version ${match[1]}`);
    seen.set(version, file);
    const sql = readFileSync(`${dir}/${file}`, 'utf8');
    return { version, name: match[2], file, sql, checksum: createHash('sha256').update(sql).digest('hex').slice(0, 16) };
  });
}

export interface MigrationResult {
  /** Versions this call applied (empty when another process got there first). */
  applied: number[];
}

/**
 * Apply pending migrations. Safe when several processes start at once: a session advisory
 * lock serialises them on Postgres, and each migration re-checks `tollgate_migrations` inside
 * its own transaction, which is what serialises them on PGlite (one shared session, where
 * the advisory lock excludes nobody but transactions are exclusive).
 */
export async function runMigrations(pool: pg.Pool, migrations: readonly Migration[] = loadMigrations()): Promise<MigrationResult> {
  const applied: number[] = [];
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS tollgate_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        checksum TEXT NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<{ version: number; checksum: string }>('SELECT version, checksum FROM tollgate_migrations');
      const done = new Map(rows.map((row) => [row.version, row.checksum]));
      for (const migration of migrations) {
        const checksum = done.get(migration.version);
        if (checksum !== undefined) {
          if (checksum !== migration.checksum) {
            logger.warn({ migration: migration.file }, 'applied migration file has changed since; write a new migration instead');
          }
          continue;
        }
        const ran = await applyOnce(client, migration);
        if (ran) {
          applied.push(migration.version);
          logger.info({ migration: migration.file }, 'applied migration');
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch((error: Error) => {
        broken = error;
      });
    }
  } finally {
    client.release(broken);
  }
  return { applied };
}

/** One migration in its own transaction, on the client that holds the lock. */
async function applyOnce(client: pg.PoolClient, migration: Migration): Promise<boolean> {
  await client.query('BEGIN');
  try {
    const again = await client.query('SELECT 1 FROM tollgate_migrations WHERE version = $1', [migration.version]);
    if (again.rowCount) {
      await client.query('ROLLBACK');
      return false;
    }
    await client.query(migration.sql);
    await client.query('INSERT INTO tollgate_migrations (version, name, checksum) VALUES ($1, $2, $3)',
      [migration.version, migration.name, migration.checksum]);
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`migration ${migration.file} failed: ${(error as Error).message}`, { cause: error });
  }
}
