import type { Command } from 'commander';
import { loadConfig, type TollgateConfig } from '../config.js';
import { GovernanceClient } from '../client/GovernanceClient.js';

/** The config named by the global --config flag (or TOLLGATE_CONFIG, or ./tollgate.yaml). */
export function configOf(command: Command): TollgateConfig {
  return loadConfig(command.optsWithGlobals().config as string | undefined);
}

export async function withClient<T>(command: Command, work: (client: GovernanceClient) => Promise<T>): Promise<T> {
  const client = await GovernanceClient.connect(configOf(command));
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
