export { connectDatabase, probeDatabase, redactUrl, isUnreachable, type Queryable, type ConnectOptions } from './connect.js';
export { startEmbeddedDatabase, embeddedUrl, type EmbeddedDatabase, type EmbeddedDatabaseOptions } from './embedded.js';
export { runMigrations, loadMigrations, migrationsDir, type Migration, type MigrationResult } from './migrate.js';
export { withTransaction, type TransactionOptions } from './transaction.js';
export { openStore, type Store, type OpenStoreOptions, type DatabaseConfig } from './store.js';
