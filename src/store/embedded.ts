import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { InfrastructureUnavailableError } from '../errors.js';
import { logger } from '../log.js';

export const EMBEDDED_HOST = '127.0.0.1';

export interface EmbeddedDatabaseOptions {
  /** Data directory; created if missing. */
  dataDir: string;
  /** Localhost port to serve on; 0 picks a free one. */
  port: number;
  /**
   * Connections the socket server accepts at once, summed over every process that connects
   * (the service's pool, CLI invocations, tests). Default 128.
   */
  maxConnections?: number;
}

export interface EmbeddedDatabase {
  /** postgres:// URL that `pg` connects to. */
  url: string;
  port: number;
  dataDir: string;
  close(): Promise<void>;
}

/** The URL a process uses to reach the embedded database another process serves. */
export function embeddedUrl(port: number): string {
  return `postgres://postgres@${EMBEDDED_HOST}:${port}/postgres`;
}

/**
 * Frontend message types that leave an extended-protocol sequence open: Parse, Bind,
 * Describe, Execute, Close, Flush. Only Sync (or a simple Query) ends one with ReadyForQuery.
 */
const MID_SEQUENCE = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));

/**
 * The socket server hands PGlite's one session to another connection whenever no explicit
 * transaction is open, message by message. A `pg` query with parameters is a sequence
 * (Parse, Bind, Describe, Execute, Sync); if another connection's message lands inside it
 * (say a BEGIN, which drops the unnamed statement), the query fails with "unnamed prepared
 * statement does not exist" or runs another client's statement. This view of the database
 * reports the session as taken from a sequence's first message to its Sync, so the server
 * keeps serving the same connection until the sequence ends, as it already does for
 * transactions. It relies on how pglite-socket 0.2 consults the database (isInTransaction
 * between messages); test/integration/budget/store.test.ts fails if that stops holding.
 */
function holdSequences(db: PGlite): PGlite {
  let midSequence = false;
  const overrides: Partial<PGlite> = {
    isInTransaction: () => midSequence || db.isInTransaction(),
    execProtocolRawStream: async (message, options) => {
      try {
        return await db.execProtocolRawStream(message, options);
      } finally {
        midSequence = message.length > 0 && MID_SEQUENCE.has(message[0]);
      }
    },
    // The server only calls exec to roll back after its connection vanished mid-way.
    exec: async (query, options) => {
      midSequence = false;
      return db.exec(query, options);
    },
  };
  return new Proxy(db, {
    get(target, property) {
      if (Object.prototype.hasOwnProperty.call(overrides, property)) return overrides[property as keyof PGlite];
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function assertPortFree(port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE'
        ? new InfrastructureUnavailableError(
          `port ${port} is in use: another \`tollgate start\` may already serve the embedded database `
          + '(stop it, or set database.embeddedPort)', { cause: error })
        : error);
    });
    probe.listen(port, EMBEDDED_HOST, () => probe.close(() => resolve()));
  });
}

/**
 * Open PGlite on `dataDir` and serve it on localhost, so that the service and CLI
 * processes share one database through ordinary `pg` connections.
 *
 * PGlite is a single Postgres session. The socket server queues every connection's
 * messages onto it and, while one connection has a transaction open, holds the others
 * back until it ends; that is what keeps transactions isolated. Session state (advisory
 * locks, SET, prepared statement names, temp tables) is therefore shared by all
 * connections, and nothing here may rely on it for mutual exclusion.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  // Check the port before opening the data directory: if another process serves it,
  // opening the same files from a second PGlite would corrupt them.
  await assertPortFree(options.port);
  mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir: options.dataDir });
  const server = new PGLiteSocketServer({
    db: holdSequences(db),
    host: EMBEDDED_HOST,
    port: options.port,
    maxConnections: options.maxConnections ?? 128,
  });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw new InfrastructureUnavailableError(
      `cannot serve the embedded database on ${EMBEDDED_HOST}:${options.port}: ${(error as Error).message}`, { cause: error });
  }
  const port = Number(server.getServerConn().split(':').pop());
  logger.info({ dataDir: options.dataDir, port }, 'embedded database (PGlite) listening');
  let closing: Promise<void> | undefined;
  return {
    url: embeddedUrl(port),
    port,
    dataDir: options.dataDir,
    close() {
      closing ??= (async () => {
        await server.stop();
        await db.close();
      })();
      return closing;
    },
  };
}
