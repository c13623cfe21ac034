/**
 * For tests against a real PostgreSQL: each test run works in its own schema, dropped afterwards.
 * The server is this machine's (trust auth, database `test`) unless BABELCAST_TEST_POSTGRES_URL
 * names another.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { quoteIdent } from './migrations.ts';

export const TEST_POSTGRES_URL =
  process.env.BABELCAST_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh schema name, `bc_test_<random>`: nothing exists under it yet. */
export function testSchemaName(prefix = 'bc_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Runs one statement on a short-lived connection. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  values: unknown[] = [],
  url = TEST_POSTGRES_URL,
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** Drops the schemas and everything in them. */
export async function dropSchemas(names: Iterable<string>, url = TEST_POSTGRES_URL): Promise<void> {
  const list = [...names];
  if (list.length === 0) return;
  await adminQuery(`DROP SCHEMA IF EXISTS ${list.map(quoteIdent).join(', ')} CASCADE`, [], url);
}
