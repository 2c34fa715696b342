import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { InfrastructureUnavailableError } from '../../../src/errors.js';
import { loadMigrations, runMigrations } from '../../../src/store/migrate.js';
import { openStore } from '../../../src/store/store.js';
import { withTransaction } from '../../../src/store/transaction.js';
import { describeEachDatabase, freshPgliteDataDir } from '../../support/databases.js';

const ROOT = resolve(import.meta.dirname, '../../..');

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

describeEachDatabase('migrations', (db) => {
  it('run concurrently from several pools without error, each version exactly once', async () => {
    const pools = Array.from({ length: 5 }, () => db().newPool(4));
    const results = await Promise.all(pools.map((pool) => runMigrations(pool)));
    const versions = loadMigrations().map((m) => m.version);
    expect(versions).toContain(1);
    // Between them the runners applied every version once; the others found it done.
    expect(results.flatMap((r) => r.applied).sort((a, b) => a - b)).toEqual(versions);
    const { rows } = await db().pool.query('SELECT version, count(*)::int AS n FROM tollgate_migrations GROUP BY version ORDER BY version');
    expect(rows).toEqual(versions.map((version) => ({ version, n: 1 })));
    const tables = await db().pool.query(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'budget_%'");
    expect(tables.rows[0].n).toBe(6);
    // A later start applies nothing.
    expect((await runMigrations(db().pool)).applied).toEqual([]);
  });
}, { migrate: false });

describeEachDatabase('SQL store', (db) => {
  it('keeps concurrent parameterised queries from 16 clients apart', async () => {
    const results = await Promise.all(Array.from({ length: 400 }, (_, i) =>
      db().pool.query<{ x: number; y: string }>('SELECT $1::int AS x, $2::text AS y', [i, `v${i}`])));
    results.forEach((result, i) => expect(result.rows[0]).toEqual({ x: i, y: `v${i}` }));
  });

  it('keeps parameterised queries whole while other connections open and close transactions', async () => {
    // On PGlite every connection shares one session: a BEGIN landing between another
    // connection's Parse and Bind would drop its statement ("unnamed prepared statement
    // does not exist") and stall that connection.
    await db().pool.query('CREATE TABLE interleave_probe (k text PRIMARY KEY, n int NOT NULL DEFAULT 0)');
    let running = true;
    let reads = 0;
    const readers = Array.from({ length: 3 }, async (_, r) => {
      for (let i = 0; running; i++) {
        const { rows } = await db().pool.query<{ x: string }>('SELECT $1::text AS x', [`${r}:${i}`]);
        expect(rows[0].x).toBe(`${r}:${i}`);
        reads++;
      }
    });
    const writers = Array.from({ length: 120 }, (_, i) => withTransaction(db().pool, async (tx) => {
      await tx.query('INSERT INTO interleave_probe (k) VALUES ($1) ON CONFLICT (k) DO UPDATE SET n = interleave_probe.n + 1', ['a']);
      await tx.query('SELECT n FROM interleave_probe WHERE k = $1', ['a']);
      if (i % 3 === 0) throw new Error('roll back');
    }).catch((error: Error) => {
      if (error.message !== 'roll back') throw error;
    }));
    try {
      await Promise.all(writers);
    } finally {
      running = false;
      await Promise.all(readers);
    }
    expect(reads).toBeGreaterThan(0);
    const { rows } = await db().pool.query('SELECT n FROM interleave_probe');
    expect(rows).toEqual([{ n: 80 - 1 }]);
  });

  it("never shows another connection a transaction's uncommitted writes", async () => {
    await db().pool.query('CREATE TABLE isolation_probe (n int)');
    const observed = await withTransaction(db().pool, async (tx) => {
      await tx.query('INSERT INTO isolation_probe VALUES (1)');
      // Another client asks while this transaction is open (PGlite holds it back until the end).
      const other = db().pool.query<{ n: number }>('SELECT count(*)::int AS n FROM isolation_probe');
      await tx.query('INSERT INTO isolation_probe VALUES (2)');
      throw Object.assign(new Error('roll back'), { other });
    }).catch((error: { other: Promise<{ rows: { n: number }[] }> }) => error.other);
    expect(observed.rows[0].n).toBe(0);
  });

  it('rolls back a failed transaction and retries a deadlock victim', async () => {
    await db().pool.query('CREATE TABLE retry_probe (n int)');
    let attempts = 0;
    const result = await withTransaction(db().pool, async (tx) => {
      attempts++;
      await tx.query('INSERT INTO retry_probe VALUES ($1)', [attempts]);
      if (attempts === 1) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      return attempts;
    });
    expect(result).toBe(2);
    const { rows } = await db().pool.query('SELECT n FROM retry_probe');
    expect(rows).toEqual([{ n: 2 }]);
  });
});

describe('openStore with the embedded database', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-store-'));
    dirs.push(dir);
    return dir;
  };

  it('tells a CLI process to run `tollgate start` when nothing serves the embedded database', async () => {
    const port = await freePort();
    const attempt = openStore({ database: { dataDir: tempDir(), embeddedPort: port } });
    await expect(attempt).rejects.toThrow(InfrastructureUnavailableError);
    await expect(openStore({ database: { dataDir: tempDir(), embeddedPort: port } }))
      .rejects.toThrow(/not running on port \d+: start it with `tollgate start`/);
  });

  it('reports an unreachable Postgres url as infrastructure, with the password hidden', async () => {
    const port = await freePort();
    const attempt = openStore({ database: { url: `postgres://tollgate:s3cret@127.0.0.1:${port}/tollgate`, dataDir: tempDir(), embeddedPort: 5544 } });
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfrastructureUnavailableError);
    expect((error as Error).message).toMatch(/database unavailable at postgres:\/\/tollgate:\*\*\*@127\.0\.0\.1:\d+\/tollgate .*check database.url/);
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('is served by one process, shared with others, refused twice, and keeps its data across restarts', async () => {
    const dataDir = await freshPgliteDataDir();
    dirs.push(dataDir);
    const database = { dataDir, embeddedPort: await freePort() };
    const service = await openStore({ database }, { serveEmbedded: true });
    try {
      expect(service.kind).toBe('pglite');
      await service.pool.query("INSERT INTO budget_limits (level, entity, limit_micros) VALUES ('team', 'shared', 5)");
      const cli = await openStore({ database });
      try {
        expect(cli.kind).toBe('pglite');
        expect(cli.embedded).toBeUndefined();
        const { rows } = await cli.pool.query("SELECT limit_micros FROM budget_limits WHERE entity = 'shared'");
        expect(rows).toEqual([{ limit_micros: '5' }]);
      } finally {
        await cli.close();
      }
      await expect(openStore({ database }, { serveEmbedded: true })).rejects.toThrow(/port \d+ is in use/);
    } finally {
      await service.close();
    }
    const restarted = await openStore({ database }, { serveEmbedded: true });
    try {
      const { rows } = await restarted.pool.query("SELECT limit_micros FROM budget_limits WHERE entity = 'shared'");
      expect(rows).toEqual([{ limit_micros: '5' }]);
      const applied = await restarted.pool.query('SELECT count(*)::int AS n FROM tollgate_migrations');
      expect(applied.rows[0].n).toBe(loadMigrations().length);
    } finally {
      await restarted.close();
    }
  });

  it('finds the migrations folder when run through tsx from another working directory', async () => {
    const dir = tempDir();
    const script = join(dir, 'list.ts');
    writeFileSync(script, `import { loadMigrations } from ${JSON.stringify(join(ROOT, 'src/store/migrate.ts'))};\n`
      + 'console.log(JSON.stringify(loadMigrations().map((m) => m.file)));\n');
    const { stdout } = await promisify(execFile)(join(ROOT, 'node_modules/.bin/tsx'), [script], { cwd: dir });
    expect(JSON.parse(stdout)).toContain('001_budget.sql');
  });
});
