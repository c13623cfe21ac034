export { LATEST_SCHEMA_VERSION, SchemaVersionError } from './migrations.ts';
export { type RetentionLogger, type RetentionOptions, startRetention } from './retention.ts';
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.ts';
