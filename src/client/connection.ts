import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConnectionOptions } from '@temporalio/client';
import type { TollgateConfig } from '../config.js';
import { TollgateInputError } from '../errors.js';

function readPem(baseDir: string, path: string, field: string): Buffer {
  try {
    return readFileSync(resolve(baseDir, path));
  } catch {
    throw new TollgateInputError(`temporal.tls.${field}: cannot read ${path}`, `temporal.tls.${field}`);
  }
}

/**
 * One place turns config into a Temporal connection: a local dev server (plain), a self-hosted
 * cluster (mTLS files under temporal.tls) or Temporal Cloud (TEMPORAL_API_KEY, TLS implied).
 */
/** Accepted by both Connection (client) and NativeConnection (worker). */
export interface TemporalConnectionOptions {
  address: string;
  tls?: ConnectionOptions['tls'];
  apiKey?: string;
}

export function temporalConnectionOptions(config: TollgateConfig): TemporalConnectionOptions {
  const { address, tls } = config.temporal;
  const apiKey = config.secrets.temporalApiKey;
  const options: TemporalConnectionOptions = { address };
  if (tls) {
    options.tls = {
      serverNameOverride: tls.serverName,
      serverRootCACertificate: tls.serverRootCACertPath ? readPem(config.baseDir, tls.serverRootCACertPath, 'serverRootCACertPath') : undefined,
      clientCertPair: tls.clientCertPath && tls.clientKeyPath
        ? { crt: readPem(config.baseDir, tls.clientCertPath, 'clientCertPath'), key: readPem(config.baseDir, tls.clientKeyPath, 'clientKeyPath') }
        : undefined,
    };
  }
  if (apiKey) {
    options.apiKey = apiKey;
    options.tls ??= true;
  }
  return options;
}
