/**
 * Schema migrations for the PostgreSQL store. Every table lives in one schema (`public` unless
 * configured), named in each statement, so no `search_path` is needed (PgBouncer in transaction
 * mode does not pass one through).
 *
 * All pending versions are applied in ONE transaction that first takes a transaction-level
 * advisory lock keyed by the schema: two processes starting at once on a fresh database queue on
 * the lock, the second finds the work done. DDL is transactional in PostgreSQL, so a failed
 * migration leaves the schema exactly as it was. Append new versions at the end; never edit one
 * that has shipped.
 */
import type pg from 'pg';

export interface Migration {
  version: number;
  description: string;
  /** The statements, given the quoted schema name (e.g. `"public"`). */
  sql: (schema: string) => string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'sessions, speakers, api tokens, transcript segments',
    sql: (s) => `
      -- Times are epoch milliseconds (BIGINT, read back as JS numbers). ord: insertion order, the
      -- tie-break SQLite gets from rowid.
      CREATE TABLE ${s}.sessions (
        id TEXT PRIMARY KEY,
        title TEXT,
        source_language TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('created', 'live', 'paused', 'ended')),
        owner_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        ended_at BIGINT,
        -- NULL: every language the engines serve.
        target_languages TEXT[],
        pause_reason TEXT CHECK (pause_reason IS NULL OR pause_reason IN ('speaker', 'shutdown', 'idle')),
        last_audio_seq BIGINT,
        ord BIGINT GENERATED ALWAYS AS IDENTITY
      );
      CREATE INDEX sessions_created ON ${s}.sessions (created_at, ord);
      CREATE INDEX sessions_owner_created ON ${s}.sessions (owner_id, created_at, ord);
      CREATE INDEX sessions_state ON ${s}.sessions (state);
      -- What retention looks for: ended sessions by the time they ended.
      CREATE INDEX sessions_expiry ON ${s}.sessions ((COALESCE(ended_at, updated_at))) WHERE state = 'ended';

      CREATE TABLE ${s}.speakers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );

      CREATE TABLE ${s}.api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        speaker_id TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT,
        ord BIGINT GENERATED ALWAYS AS IDENTITY
      );

      -- No foreign key to sessions (as in SQLite): purges delete segments explicitly, in bounded
      -- batches, and a worker's append never waits on another node's session row.
      CREATE TABLE ${s}.segments (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        session_id TEXT NOT NULL,
        segment_id BIGINT NOT NULL,
        seq BIGINT NOT NULL,
        lang TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('source', 'translation')),
        text TEXT NOT NULL,
        media_start_ms DOUBLE PRECISION NOT NULL,
        media_end_ms DOUBLE PRECISION NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX segments_session_seq ON ${s}.segments (session_id, seq, id);
      CREATE INDEX segments_session_lang ON ${s}.segments (session_id, lang, seq, id);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

for (const [i, m] of MIGRATIONS.entries()) {
  if (m.version !== i + 1) throw new Error(`migration ${i} has version ${m.version}; expected ${i + 1}`);
}

/**
 * Advisory lock classes (the first key of `pg_advisory_*lock(int, int)`; the second is
 * `hashtext(schema)`, so deployments in different schemas never wait on each other).
 */
export const LOCK_MIGRATE = 0x42430001;
export const LOCK_PURGE = 0x42430002;
export const LOCK_RENAME = 0x42430003;

/** The database was migrated by a newer Babelcast than this one. */
export class SchemaVersionError extends Error {
  readonly found: number;
  readonly supported: number;
  constructor(where: string, found: number, supported: number) {
    super(
      `PostgreSQL schema ${where} has schema version ${found}, but this Babelcast supports up to version ${supported}: ` +
        'it was migrated by a newer release. Upgrade Babelcast, or point the store at another schema or database.',
    );
    this.name = 'SchemaVersionError';
    this.found = found;
    this.supported = supported;
  }
}

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * Creates the schema if missing and brings it to the latest version, on `client` (a connection
 * checked out of the pool). Returns the versions applied (none when another process did it first).
 */
export async function migrate(
  client: pg.ClientBase,
  schema: string,
  where: string,
  now: () => number = Date.now,
): Promise<number[]> {
  const s = quoteIdent(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [LOCK_MIGRATE, schema]);
    // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when it exists.
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`,
    );
    const found = Number(
      (await client.query<{ v: number | null }>(`SELECT MAX(version) AS v FROM ${s}.schema_version`)).rows[0]
        ?.v ?? 0,
    );
    if (found > LATEST_SCHEMA_VERSION) throw new SchemaVersionError(where, found, LATEST_SCHEMA_VERSION);
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= found) continue;
      await client.query(m.sql(s));
      await client.query(`INSERT INTO ${s}.schema_version (version, applied_at) VALUES ($1, $2)`, [
        m.version,
        now(),
      ]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
