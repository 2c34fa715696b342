import { isAbsolute, resolve } from 'node:path';
import type pg from 'pg';
import type { TollgateConfig } from '../config.js';
import { connectDatabase, probeDatabase, redactUrl } from './connect.js';
import { embeddedUrl, startEmbeddedDatabase, type EmbeddedDatabase } from './embedded.js';
import { runMigrations } from './migrate.js';

export type DatabaseConfig = TollgateConfig['database'];

export interface Store {
  pool: pg.Pool;
  /** 'pglite' when the embedded database serves it, whichever process serves it. */
  kind: 'postgres' | 'pglite';
  /** Connection URL, password included; use `redactUrl` before showing it. */
  url: string;
  /** Set in the process that serves the embedded database. */
  embedded?: EmbeddedDatabase;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /**
   * Serve the embedded database from this process when no url is configured (the service,
   * `tollgate start`). Without it, a process connects to the one the service serves.
   */
  serveEmbedded?: boolean;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  /** Pool size (default 16). */
  max?: number;
}

/**
 * The one way into the SQL store: Postgres when `database.url` (or DATABASE_URL) is set,
 * otherwise the embedded PGlite database, served by this process or reached on its port.
 */
export async function openStore(
  config: { database: DatabaseConfig; baseDir?: string },
  options: OpenStoreOptions = {},
): Promise<Store> {
  const { database } = config;
  let embedded: EmbeddedDatabase | undefined;
  let url: string;
  let hint: string;
  if (database.url) {
    url = database.url;
    hint = 'check database.url / DATABASE_URL and that the server is running';
  } else if (options.serveEmbedded) {
    const dataDir = isAbsolute(database.dataDir) ? database.dataDir : resolve(config.baseDir ?? process.cwd(), database.dataDir);
    embedded = await startEmbeddedDatabase({ dataDir, port: database.embeddedPort });
    url = embedded.url;
    hint = 'the embedded database did not answer';
  } else {
    url = embeddedUrl(database.embeddedPort);
    hint = `the embedded database is not running on port ${database.embeddedPort}: start it with \`tollgate start\` `
      + '(or set database.url / DATABASE_URL)';
  }
  try {
    await probeDatabase(url, hint);
  } catch (error) {
    await embedded?.close();
    throw error;
  }
  const pool = connectDatabase(url, { max: options.max });
  const close = async () => {
    await pool.end();
    await embedded?.close();
  };
  try {
    if (options.migrate ?? true) await runMigrations(pool);
  } catch (error) {
    await close();
    throw error;
  }
  return { pool, kind: database.url ? 'postgres' : 'pglite', url, embedded, close };
}

export { redactUrl };
