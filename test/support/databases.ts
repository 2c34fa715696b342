/**
 * The databases store tests run against: embedded PGlite always (a temporary data directory
 * served on a free port, reached through `pg` like production does), and Postgres when
 * TEST_DATABASE_URL is set (a fresh schema per test file, dropped afterwards). Without
 * TEST_DATABASE_URL the Postgres half is reported as skipped, with the reason; set
 * TEST_REQUIRE_POSTGRES=1 (CI does) to make that a failure instead.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { connectDatabase } from '../../src/store/connect.js';
import { startEmbeddedDatabase } from '../../src/store/embedded.js';
import { runMigrations } from '../../src/store/migrate.js';
import { freshPgliteDataDir } from './pgliteTemplate.js';

export { freshPgliteDataDir };

export type DatabaseKind = 'pglite' | 'postgres';

export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  /** 16-client pool (migrated unless `migrate: false`). */
  pool: pg.Pool;
  /** Another pool onto the same database and schema, closed with it. */
  newPool(max?: number): pg.Pool;
  close(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Apply the migrations before the tests (default true). */
  migrate?: boolean;
}

const POOL_SIZE = 16;

export async function openTestDatabase(kind: DatabaseKind, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const database = kind === 'pglite' ? await openPglite() : await openPostgres(process.env.TEST_DATABASE_URL!);
  if (options.migrate ?? true) await runMigrations(database.pool);
  return database;
}

async function openPglite(): Promise<TestDatabase> {
  const dataDir = await freshPgliteDataDir();
  const embedded = await startEmbeddedDatabase({ dataDir, port: 0 });
  const pools: pg.Pool[] = [];
  const newPool = (max = POOL_SIZE) => {
    const pool = connectDatabase(embedded.url, { max });
    pools.push(pool);
    return pool;
  };
  return {
    kind: 'pglite',
    url: embedded.url,
    pool: newPool(),
    newPool,
    async close() {
      await Promise.all(pools.map((pool) => pool.end()));
      await embedded.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function openPostgres(url: string): Promise<TestDatabase> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = connectDatabase(url, { max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pools: pg.Pool[] = [];
  const newPool = (max = POOL_SIZE) => {
    const pool = connectDatabase(url, { max, options: `-c search_path=${schema}` });
    pools.push(pool);
    return pool;
  };
  return {
    kind: 'postgres',
    url,
    pool: newPool(),
    newPool,
    async close() {
      await Promise.all(pools.map((pool) => pool.end()));
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** The kinds this run tests against. */
export function databaseKinds(): DatabaseKind[] {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * `describe(title [kind])` once per database, each with its own database for the whole
 * block; `body` reads it through `db()` inside tests and hooks.
 */
export function describeEachDatabase(
  title: string,
  body: (db: () => TestDatabase) => void,
  options: TestDatabaseOptions = {},
): void {
  for (const kind of databaseKinds()) {
    describe(`${title} [${kind}]`, () => {
      let database: TestDatabase | undefined;
      beforeAll(async () => {
        database = await openTestDatabase(kind, options);
      });
      afterAll(async () => {
        await database?.close();
      });
      body(() => {
        if (!database) throw new Error(`${kind} test database is not open`);
        return database;
      });
    });
  }
  reportSkippedPostgres(title);
}

/**
 * Without TEST_DATABASE_URL, a suite's Postgres half is reported as skipped, with the reason in its
 * name, so a run on PGlite alone says what it left out; with TEST_REQUIRE_POSTGRES it fails.
 */
export function reportSkippedPostgres(title: string): void {
  if (process.env.TEST_DATABASE_URL) return;
  if (process.env.TEST_REQUIRE_POSTGRES) throw new Error(`Postgres tests for "${title}" cannot run: TEST_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not`);
  describe.skip(`${title} [postgres]: skipped because TEST_DATABASE_URL is unset (e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)`, () => {
    it('runs the same tests on Postgres', () => undefined);
  });
}

export interface ServiceDatabase {
  kind: DatabaseKind;
  /** The `database` block for a service config: an embedded data directory and port, or a Postgres URL. */
  config: { url?: string; dataDir?: string; embeddedPort?: number };
  close(): Promise<void>;
}

/**
 * A database for a whole service under test (startService opens and migrates it itself):
 * a fresh PGlite data directory on a free port, or a fresh Postgres database.
 */
export async function serviceDatabase(kind: DatabaseKind): Promise<ServiceDatabase> {
  if (kind === 'pglite') {
    const dataDir = await freshPgliteDataDir();
    const { findFreePort } = await import('../../temporal-config/freePort.js');
    return { kind, config: { dataDir, embeddedPort: await findFreePort() }, close: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const adminUrl = process.env.TEST_DATABASE_URL!;
  const name = `tollgate_t_${randomBytes(6).toString('hex')}`;
  const admin = connectDatabase(adminUrl, { max: 1 });
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    config: { url: url.toString() },
    async close() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
