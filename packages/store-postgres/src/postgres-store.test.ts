/**
 * The PostgreSQL store against this machine's real server (database `test`), each store in its
 * own `bc_test_<random>` schema, all dropped at the end.
 */
import { describeStoreConformance, sessionRecord, transcriptSegment } from '@babelcast/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresConnectError } from './connect-error.ts';
import pg from 'pg';
import { LATEST_SCHEMA_VERSION, LOCK_PURGE, MIGRATIONS, SchemaVersionError } from './migrations.ts';
import { PostgresStore, type PostgresStoreOptions } from './postgres-store.ts';
import { adminQuery, dropSchemas, TEST_POSTGRES_URL, testSchemaName } from './testing.ts';

const HOUR = 3_600_000;
const NOW = Date.UTC(2025, 5, 1, 12);

const schemas = new Set<string>();
function freshSchema(): string {
  const name = testSchemaName();
  schemas.add(name);
  return name;
}
const open = (schema = freshSchema(), options: Partial<PostgresStoreOptions> = {}) =>
  PostgresStore.open({ url: TEST_POSTGRES_URL, schema, poolSize: 4, ...options });

afterAll(async () => {
  await dropSchemas(schemas);
  const left = await adminQuery('SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)', [[...schemas]]);
  expect(left).toEqual([]);
});

describeStoreConformance(
  'postgres',
  () => open(),
  () => {
    const schema = freshSchema();
    return () => open(schema);
  },
);

describe('PostgresStore', () => {
  it('creates its schema and migrates once, however often it is opened', async () => {
    const schema = freshSchema();
    const first = await open(schema);
    expect(first.schema).toBe(schema);
    await first.createSession(sessionRecord('brave-otter-101'));
    await first.close();
    await (await open(schema)).close();

    const versions = await adminQuery<{ version: number }>(
      `SELECT version FROM "${schema}".schema_version ORDER BY version`,
    );
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const indexes = await adminQuery<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'segments'",
      [schema],
    );
    expect(indexes.map((i) => i.indexname)).toEqual(
      expect.arrayContaining(['segments_session_seq', 'segments_session_lang']),
    );
  });

  it('five processes starting at once on a fresh schema: one migrates, all open, versions recorded once', async () => {
    const schema = freshSchema();
    // Separate pools, so separate server connections racing for the advisory lock.
    const stores = await Promise.all(Array.from({ length: 5 }, () => open(schema, { poolSize: 1 })));
    await stores[0]!.createSession(sessionRecord('brave-otter-101'));
    for (const s of stores) expect((await s.getSession('brave-otter-101'))?.id).toBe('brave-otter-101');
    await Promise.all(stores.map((s) => s.close()));
    const [row] = await adminQuery<{ n: string }>(`SELECT COUNT(*) AS n FROM "${schema}".schema_version`);
    expect(Number(row?.n)).toBe(LATEST_SCHEMA_VERSION);
  });

  it('refuses a schema migrated by a newer release, without touching it', async () => {
    const schema = freshSchema();
    await (await open(schema)).close();
    await adminQuery(`INSERT INTO "${schema}".schema_version (version, applied_at) VALUES (99, $1)`, [NOW]);
    const attempt = open(schema);
    await expect(attempt).rejects.toThrow(SchemaVersionError);
    await expect(open(schema)).rejects.toThrow(
      new RegExp(`schema version 99.*supports up to version ${LATEST_SCHEMA_VERSION}.*newer release`),
    );
    const [max] = await adminQuery<{ v: number }>(`SELECT MAX(version) AS v FROM "${schema}".schema_version`);
    expect(max?.v).toBe(99);
  });

  it('uses the connection’s current schema when none is configured', async () => {
    const schema = freshSchema();
    await adminQuery(`CREATE SCHEMA "${schema}"`);
    const url = new URL(TEST_POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const store = await PostgresStore.open({ url: url.toString(), poolSize: 1 });
    expect(store.schema).toBe(schema);
    await store.createSession(sessionRecord('brave-otter-101'));
    await store.close();
    const rows = await adminQuery(`SELECT id FROM "${schema}".sessions`);
    expect(rows).toEqual([{ id: 'brave-otter-101' }]);
  });

  it('unreachable at start: names host:port and what to check, never the password', async () => {
    // Port 1: nothing listens there, the connection is refused at once.
    const attempt = PostgresStore.open({ url: 'postgres://babel:s3cret-pw@127.0.0.1:1/test' });
    await expect(attempt).rejects.toThrow(PostgresConnectError);
    const err = (await attempt.catch((e: unknown) => e)) as PostgresConnectError;
    expect(err.address).toBe('127.0.0.1:1');
    expect(err.message).toMatch(/PostgreSQL at 127\.0\.0\.1:1 is unreachable \(ECONNREFUSED\)/);
    expect(err.message).toMatch(/Check that PostgreSQL is running.*BABELCAST_POSTGRES_URL/);
    expect(err.message).not.toContain('s3cret-pw');
    expect(JSON.stringify(err)).not.toContain('s3cret-pw');
    expect(String(err.stack)).not.toContain('s3cret-pw');
  });

  it('a missing database, an invalid URL and a bad schema name are named plainly', async () => {
    await expect(
      PostgresStore.open({ url: 'postgres://postgres:pw-x@127.0.0.1:5432/no_such_db_bc' }),
    ).rejects.toThrow(/PostgreSQL at 127\.0\.0\.1:5432 has no database "no_such_db_bc"\. Create it/);
    await expect(PostgresStore.open({ url: 'postgres://a:b@[bad' })).rejects.toThrow(PostgresConnectError);
    await expect(open('bad-name; DROP')).rejects.toThrow(/invalid PostgreSQL schema name/);
  });

  it('rejects a duplicate session id with the database error, and calls after close', async () => {
    const store = await open();
    await store.createSession(sessionRecord('brave-otter-101'));
    await expect(store.createSession(sessionRecord('brave-otter-101'))).rejects.toThrow(/duplicate key/);
    await store.close();
    await expect(store.getSession('brave-otter-101')).rejects.toThrow(/after calling end/);
  });

  it('survives the server dropping its connections (restart, failover): the next call reconnects', async () => {
    const schema = freshSchema();
    const warnings: string[] = [];
    const store = await open(schema, { logger: { warn: (_obj, msg) => warnings.push(msg) } });
    await store.createSession(sessionRecord('brave-otter-101'));
    const killed = await adminQuery<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
       WHERE application_name = 'babelcast' AND pid <> pg_backend_pid()
         AND query LIKE '%' || $1 || '%'`,
      [schema],
    );
    expect(killed.length).toBeGreaterThan(0);
    await expect.poll(() => warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toBe('postgres connection lost');
    expect((await store.getSession('brave-otter-101'))?.id).toBe('brave-otter-101');
    await store.close();
  });
});

describe('PostgresStore retention', () => {
  /** Bulk-loads `count` segments for a session, server-side. */
  async function loadSegments(schema: string, sessionId: string, count: number): Promise<void> {
    await adminQuery(
      `INSERT INTO "${schema}".segments
         (session_id, segment_id, seq, lang, kind, text, media_start_ms, media_end_ms, created_at)
       SELECT $1, g, g, 'en', 'source', 'secret words ' || g, g * 1000, g * 1000 + 900, $2
       FROM generate_series(1, $3::int) AS g`,
      [sessionId, NOW, count],
    );
  }

  it('purges a long transcript in batches while live writes go through', async () => {
    const schema = freshSchema();
    const store = await open(schema);
    await store.createSession(
      sessionRecord('long-meeting-001', { state: 'ended', endedAt: NOW - 48 * HOUR }),
    );
    await store.createSession(
      sessionRecord('short-meeting-002', { state: 'ended', endedAt: NOW - 30 * HOUR }),
    );
    await store.createSession(sessionRecord('recent-meeting-003', { state: 'ended', endedAt: NOW - HOUR }));
    await loadSegments(schema, 'long-meeting-001', 12_345);
    await loadSegments(schema, 'short-meeting-002', 10);
    await loadSegments(schema, 'recent-meeting-003', 7);

    const purge = store.purgeOlderThan(NOW - 24 * HOUR);
    await store.createSession(sessionRecord('live-meeting-004', { state: 'live' }));
    await store.appendSegment(transcriptSegment('live-meeting-004', 1));
    expect(await purge).toEqual({ sessions: 2, segments: 12_355 });

    expect(await store.getSession('long-meeting-001')).toBeNull();
    expect(await store.listSegments('long-meeting-001')).toEqual([]);
    expect(await store.listSegments('recent-meeting-003')).toHaveLength(7);
    expect(await store.listSegments('live-meeting-004')).toHaveLength(1);
    const [left] = await adminQuery<{ n: string }>(
      `SELECT COUNT(*) AS n FROM "${schema}".segments WHERE text LIKE 'secret%'`,
    );
    expect(Number(left?.n)).toBe(7);
    await store.close();
  });

  it('two nodes purging at once remove everything exactly once', async () => {
    const schema = freshSchema();
    const a = await open(schema);
    const b = await open(schema);
    for (const id of ['a-a-001', 'a-a-002', 'a-a-003']) {
      await a.createSession(sessionRecord(id, { state: 'ended', endedAt: NOW - 48 * HOUR }));
      await loadSegments(schema, id, 6000);
    }
    const results = await Promise.all([a.purgeOlderThan(NOW), b.purgeOlderThan(NOW), a.purgeOlderThan(NOW)]);
    expect(results.reduce((n, r) => n + r.sessions, 0)).toBe(3);
    expect(results.reduce((n, r) => n + r.segments, 0)).toBe(18_000);
    expect(await a.listSessions()).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('while another node holds the purge lock, a purge stops at once; afterwards it does the work', async () => {
    const schema = freshSchema();
    const store = await open(schema);
    await store.createSession(sessionRecord('old-ended-001', { state: 'ended', endedAt: NOW - 48 * HOUR }));
    await loadSegments(schema, 'old-ended-001', 10);
    const other = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [LOCK_PURGE, schema]);
      expect(await store.purgeOlderThan(NOW)).toEqual({ sessions: 0, segments: 0 });
      await other.query('COMMIT');
    } finally {
      await other.end();
    }
    expect(await store.purgeOlderThan(NOW)).toEqual({ sessions: 1, segments: 10 });
    await store.close();
  });

  it('close stops a running purge at its next batch, and the next run finishes it', async () => {
    const schema = freshSchema();
    const store = await open(schema);
    await store.createSession(
      sessionRecord('long-meeting-001', { state: 'ended', endedAt: NOW - 48 * HOUR }),
    );
    await loadSegments(schema, 'long-meeting-001', 30_000);
    const purge = store.purgeOlderThan(NOW);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.close();
    const partial = await purge;
    expect(partial.segments).toBeLessThan(30_000);
    expect(partial.sessions).toBe(0);

    const again = await open(schema);
    expect(await again.getSession('long-meeting-001')).not.toBeNull();
    expect(await again.purgeOlderThan(NOW)).toEqual({ sessions: 1, segments: 30_000 - partial.segments });
    await again.close();
  });
});
