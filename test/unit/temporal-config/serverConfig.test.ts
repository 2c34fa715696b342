import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDynamicConfig } from '../../../temporal-config/devServer.js';
import {
  DEFAULT_SERVER_PORTS, loadServerDynamicConfig, postgresSettingsFromUrl, serverConfig, withDynamicOverrides,
  type ServerConfigSettings,
} from '../../../temporal-config/server/config.js';
import { schemaSetupCommands } from '../../../temporal-config/server/schema.js';
import { startTemporalServer } from '../../../temporal-config/server/server.js';

const postgres = { host: '10.0.0.5', port: 6432, user: 'temporal', password: 's3cret', database: 'temporal', visibilityDatabase: 'temporal_visibility' };
const settings: ServerConfigSettings = {
  ip: '127.0.0.1', ports: DEFAULT_SERVER_PORTS, postgres, numHistoryShards: 16, dynamicConfigFile: '/etc/temporal/dynamicconfig.yaml', logLevel: 'warn',
};

describe('the real server\'s config file', () => {
  it('keeps executions and visibility in their own Postgres databases through the postgres12 plugin', () => {
    const config = serverConfig(settings) as any;
    expect(config.persistence.numHistoryShards).toBe(16);
    const stores = config.persistence.datastores;
    expect(stores[config.persistence.defaultStore].sql).toMatchObject({ pluginName: 'postgres12', databaseName: 'temporal', connectAddr: '10.0.0.5:6432', user: 'temporal', password: 's3cret' });
    expect(stores[config.persistence.visibilityStore].sql).toMatchObject({ pluginName: 'postgres12', databaseName: 'temporal_visibility', connectAddr: '10.0.0.5:6432' });
  });

  it('binds every service on the given address and points the cluster and the internal worker at the frontend', () => {
    const config = serverConfig({ ...settings, ports: { ...DEFAULT_SERVER_PORTS, frontend: 17233 } }) as any;
    for (const service of ['frontend', 'history', 'matching', 'worker']) expect(config.services[service].rpc.bindOnIP).toBe('127.0.0.1');
    expect(config.services.frontend.rpc).toMatchObject({ grpcPort: 17233, httpPort: DEFAULT_SERVER_PORTS.frontendHttp });
    expect(config.clusterMetadata.clusterInformation.active.rpcAddress).toBe('127.0.0.1:17233');
    expect(config.publicClient.hostPort).toBe('127.0.0.1:17233');
    expect(config.dynamicConfigClient.filepath).toBe('/etc/temporal/dynamicconfig.yaml');
  });
});

describe('postgresSettingsFromUrl', () => {
  it('takes server, user and password from the URL and ignores its database', () => {
    expect(postgresSettingsFromUrl('postgres://alice:p%40ss@db.internal:6543/test', { database: 'a', visibilityDatabase: 'b' }))
      .toEqual({ host: 'db.internal', port: 6543, user: 'alice', password: 'p@ss', database: 'a', visibilityDatabase: 'b' });
  });

  it('defaults the port and user, and unwraps an IPv6 host', () => {
    expect(postgresSettingsFromUrl('postgresql://[::1]', { database: 'a', visibilityDatabase: 'b' })).toMatchObject({ host: '::1', port: 5432, user: 'postgres', password: '' });
  });

  it('refuses what is not a Postgres URL, saying what it expected', () => {
    expect(() => postgresSettingsFromUrl('mysql://db', { database: 'a', visibilityDatabase: 'b' })).toThrow(/expected postgres:\/\//);
    expect(() => postgresSettingsFromUrl('db:5432', { database: 'a', visibilityDatabase: 'b' })).toThrow(/expected postgres:\/\//);
  });
});

describe('schema setup', () => {
  it('creates, versions and updates both databases with the server\'s schema files, in that order', () => {
    const steps = schemaSetupCommands({ postgres, schemaDir: '/opt/schema' }).map((args) => args.slice(args.indexOf('--db') + 1).join(' '));
    expect(steps).toEqual([
      'temporal create-database',
      'temporal setup-schema --version 0.0',
      'temporal update-schema --schema-dir /opt/schema/postgresql/v12/temporal/versioned',
      'temporal_visibility create-database',
      'temporal_visibility setup-schema --version 0.0',
      'temporal_visibility update-schema --schema-dir /opt/schema/postgresql/v12/visibility/versioned',
    ]);
  });

  it('drops each database first only when asked for a fresh start', () => {
    const steps = schemaSetupCommands({ postgres, schemaDir: '/opt/schema', fresh: true }).map((args) => args.slice(args.indexOf('--db') + 1).join(' '));
    expect(steps.filter((step) => step.includes('drop-database'))).toEqual(['temporal drop-database --force', 'temporal_visibility drop-database --force']);
    expect(steps.indexOf('temporal drop-database --force')).toBeLessThan(steps.indexOf('temporal create-database'));
  });

  it('never puts the password on a command line', () => {
    for (const args of schemaSetupCommands({ postgres, schemaDir: '/opt/schema', fresh: true })) expect(args.join(' ')).not.toContain('s3cret');
  });
});

describe('the server\'s dynamic config', () => {
  it('ships in the server\'s own format and reads back', () => {
    const config = loadServerDynamicConfig();
    expect(config['history.transferProcessorMaxPollRPS']).toEqual([{ value: 1000 }]);
  });

  it('names the file, the key and the expected shape when an entry is a bare value', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'tollgate-dc-')), 'dynamicconfig.yaml');
    await writeFile(file, 'history.transferProcessorMaxPollRPS: 1000\n');
    expect(() => loadServerDynamicConfig(file)).toThrow(`${file}: history.transferProcessorMaxPollRPS: `);
    expect(() => loadServerDynamicConfig(file)).toThrow(/expected key: \[\{ value/);
  });

  it('lets a caller replace an entry with an unconstrained value', () => {
    const merged = withDynamicOverrides({ a: [{ value: 1, constraints: { namespace: 'x' } }], b: [{ value: true }] }, { a: 2 });
    expect(merged).toEqual({ a: [{ value: 2 }], b: [{ value: true }] });
  });

  // The dev server and the real server must not drift apart on what the latency work found.
  // Dev-only keys: the search attribute cache refresh (the CLI raises persistence QPS to afford it,
  // a cluster need not) and one task queue partition (right for one matching host, not for several).
  const DEV_ONLY = ['system.forceSearchAttributesCacheRefreshOnRead', 'matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions'];
  it('agrees with the dev server on every setting they share', () => {
    const dev = loadDynamicConfig();
    const server = loadServerDynamicConfig();
    const shared = Object.keys(dev).filter((key) => !DEV_ONLY.includes(key));
    expect(shared.length).toBeGreaterThan(0);
    for (const key of shared) expect({ key, value: server[key]?.[0]?.value }).toEqual({ key, value: dev[key] });
  });
});

describe('startTemporalServer', () => {
  it('refuses a membership port the SQL store cannot hold, naming the field, before building or starting anything', async () => {
    const install = { server: '/nonexistent/temporal-server', sqlTool: '/nonexistent/temporal-sql-tool', schemaDir: '/nonexistent', version: '0' };
    await expect(startTemporalServer({ postgres, install, ports: { historyMembership: 40_000 } }))
      .rejects.toThrow(/ports\.historyMembership: 40000 is above 32767/);
  });
});
