export { describeTarget, PostgresConnectError, type PostgresTarget } from './connect-error.ts';
export { LATEST_SCHEMA_VERSION, SchemaVersionError } from './migrations.ts';
export { PostgresStore, type PostgresStoreLogger, type PostgresStoreOptions } from './postgres-store.ts';
