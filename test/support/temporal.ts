import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer, type DevServerHandle } from '../../temporal-config/devServer.js';
import { ensureTemporalCli } from '../../temporal-config/install.mjs';

export interface TestTemporal {
  /** The running server; a new handle after `restart()`. */
  readonly server: DevServerHandle;
  readonly address: string;
  readonly namespace: string;
  readonly dbFile: string;
  /** For clients: submit, signal, describe, list. */
  readonly connection: Connection;
  readonly client: Client;
  /** For workers (`Worker.create({ connection: nativeConnection, ... })`). */
  readonly nativeConnection: NativeConnection;
  /**
   * Stops the server and starts it again on the same port with the same db file: what a durability
   * test needs. `connection`, `client` and `nativeConnection` stay the same objects and reconnect.
   */
  restart(): Promise<void>;
  /** Closes the connections, stops the server, removes the temp dir it created. */
  close(): Promise<void>;
}

export interface StartTestTemporalOptions {
  /** Reuse a db file (e.g. from an earlier server); default: a fresh file in a temp dir. */
  dbFile?: string;
}

const started = new Set<TestTemporal>();

/** A headless Temporal dev server on free ports with Tollgate's search attributes, plus connections to it. */
export async function startTestTemporal(options: StartTestTemporalOptions = {}): Promise<TestTemporal> {
  const temporalCliPath = await ensureTemporalCli();
  const tempDir = options.dbFile ? undefined : await mkdtemp(join(tmpdir(), 'tollgate-temporal-'));
  const dbFile = options.dbFile ?? join(tempDir as string, 'temporal.db');

  let server = await startDevServer({ temporalCliPath, dbFile, headless: true, ports: 'free' });
  const cleanup: Array<() => Promise<unknown>> = [() => server.stop()];
  try {
    const connection = await Connection.connect({ address: server.address });
    cleanup.unshift(() => connection.close());
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    cleanup.unshift(() => nativeConnection.close());
    const client = new Client({ connection, namespace: server.namespace });

    let closing: Promise<void> | undefined;
    const temporal: TestTemporal = {
      get server() { return server; },
      address: server.address,
      namespace: server.namespace,
      dbFile: server.dbFile,
      connection,
      client,
      nativeConnection,
      async restart() {
        const { port } = server;
        await server.stop();
        server = await startDevServer({ temporalCliPath, dbFile, headless: true, ports: 'free', port });
      },
      close() {
        closing ??= (async () => {
          started.delete(temporal);
          const errors = await runAll(cleanup);
          if (tempDir) await rm(tempDir, { recursive: true, force: true });
          if (errors.length > 0) throw errors[0];
        })();
        return closing;
      },
    };
    started.add(temporal);
    return temporal;
  } catch (error) {
    await runAll(cleanup);
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw error;
  }
}

/** Closes every server this test file started; for `afterAll`. Stop your workers first. */
export async function closeAll(): Promise<void> {
  const errors = (await Promise.allSettled([...started].map((temporal) => temporal.close())))
    .flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (errors.length > 0) throw errors[0];
}

/** Runs every step even when one fails, and returns the failures. */
async function runAll(steps: Array<() => Promise<unknown>>): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      errors.push(error);
    }
  }
  return errors;
}

