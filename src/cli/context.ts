import type { Command } from 'commander';
import { loadConfig, type TollgateConfig } from '../config.js';
import { userInfo } from 'node:os';
import type { GovernanceClient } from '../client/GovernanceClient.js';
import { configureRedaction } from '../redact.js';
import type { Store } from '../store/index.js';

/** The config named by the global --config flag (or TOLLGATE_CONFIG, or ./tollgate.yaml). */
export function configOf(command: Command): TollgateConfig {
  const config = loadConfig(command.optsWithGlobals().config as string | undefined);
  configureRedaction(config.redaction);
  return config;
}

// Temporal's client and the database drivers are imported when a command uses them, not when
// the CLI starts (a policy command needs neither).
export async function withClient<T>(command: Command, work: (client: GovernanceClient) => Promise<T>): Promise<T> {
  const { GovernanceClient } = await import('../client/GovernanceClient.js');
  const client = await GovernanceClient.connect(configOf(command));
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

/** For commands that need only the database: they must work while Temporal is down. */
export async function withStore<T>(command: Command, work: (store: Store, config: TollgateConfig) => Promise<T>): Promise<T> {
  const config = configOf(command);
  const { openStore } = await import('../store/index.js');
  const store = await openStore(config, { serveEmbedded: false });
  try {
    return await work(store, config);
  } finally {
    await store.close();
  }
}

/** Who ran a command that changes something, for the audit trail: the OS user, as `cli:NAME`. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
}
