/**
 * A throwaway database for a benchmark: a fresh PGlite data directory, or a schema of its own
 * on a Postgres server (dropped afterwards), with as many pools as the benchmark needs.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type pg from 'pg';
import { connectDatabase } from '../src/store/connect.js';
import { startEmbeddedDatabase } from '../src/store/embedded.js';
import { freshPgliteDataDir } from '../test/support/pgliteTemplate.js';

export interface BenchDatabase {
  kind: 'pglite' | 'postgres';
  /** A pool of 16 connections, opened first. */
  pool: pg.Pool;
  newPool(max: number): pg.Pool;
  close(): Promise<void>;
}

export async function openPgliteBench(): Promise<BenchDatabase> {
  const dataDir = await freshPgliteDataDir();
  const embedded = await startEmbeddedDatabase({ dataDir, port: 0 });
  return withPools('pglite', (max) => connectDatabase(embedded.url, { max }), async () => {
    await embedded.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
}

export async function openPostgresBench(url: string): Promise<BenchDatabase> {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const admin = connectDatabase(url, { max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  return withPools('postgres', (max) => connectDatabase(url, { max, options: `-c search_path=${schema}` }), async () => {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });
}

function withPools(kind: BenchDatabase['kind'], connect: (max: number) => pg.Pool, release: () => Promise<void>): BenchDatabase {
  const pools: pg.Pool[] = [];
  const newPool = (max: number) => {
    const pool = connect(max);
    pools.push(pool);
    return pool;
  };
  return {
    kind,
    pool: newPool(16),
    newPool,
    async close() {
      await Promise.all(pools.map((pool) => pool.end()));
      await release();
    },
  };
}
