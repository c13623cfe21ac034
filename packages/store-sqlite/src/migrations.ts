/**
 * Schema migrations, applied in order, each in its own transaction together with its row in
 * `schema_version`. Append new versions at the end; never edit one that has shipped.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'sessions, speakers, api tokens, transcript segments',
    sql: `
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        title TEXT,
        source_language TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('created', 'live', 'paused', 'ended')),
        owner_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        ended_at INTEGER
      );
      CREATE INDEX sessions_created ON sessions (created_at);
      CREATE INDEX sessions_owner_created ON sessions (owner_id, created_at);
      CREATE INDEX sessions_state ON sessions (state);

      CREATE TABLE speakers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        speaker_id TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );

      -- No foreign key to sessions: purges delete segments explicitly, in bounded batches.
      -- Media times are REAL: they come from sample counts and need not be whole milliseconds.
      CREATE TABLE segments (
        id INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL,
        segment_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        lang TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('source', 'translation')),
        text TEXT NOT NULL,
        media_start_ms REAL NOT NULL,
        media_end_ms REAL NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX segments_session_seq ON segments (session_id, seq);
      CREATE INDEX segments_session_lang ON segments (session_id, lang);
    `,
  },
  {
    version: 2,
    description: 'sessions: offered target languages, pause reason, last speaker audio seq',
    sql: `
      -- JSON array of language codes; NULL: every language the engines serve (sessions from v1).
      ALTER TABLE sessions ADD COLUMN target_languages TEXT;
      ALTER TABLE sessions ADD COLUMN pause_reason TEXT
        CHECK (pause_reason IS NULL OR pause_reason IN ('speaker', 'shutdown', 'idle'));
      ALTER TABLE sessions ADD COLUMN last_audio_seq INTEGER;
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

for (const [i, m] of MIGRATIONS.entries()) {
  if (m.version !== i + 1) throw new Error(`migration ${i} has version ${m.version}; expected ${i + 1}`);
}

/** The database file was written by a newer Babelcast than this one. */
export class SchemaVersionError extends Error {
  readonly found: number;
  readonly supported: number;
  constructor(path: string, found: number, supported: number) {
    super(
      `database ${path} has schema version ${found}, but this Babelcast supports up to version ${supported}: ` +
        'it was written by a newer release. Upgrade Babelcast, or point the store at another file.',
    );
    this.name = 'SchemaVersionError';
    this.found = found;
    this.supported = supported;
  }
}

function currentVersion(db: Database.Database): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/** Brings the schema to the latest version; returns the versions applied. */
export function migrate(db: Database.Database, path: string, now: () => number = Date.now): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  );
  const applied: number[] = [];
  // IMMEDIATE: two processes opening a fresh file at once must not both run version 1.
  const step = db.transaction((m: Migration) => {
    if (currentVersion(db) >= m.version) return;
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(m.version, now());
    applied.push(m.version);
  });
  const found = currentVersion(db);
  if (found > LATEST_SCHEMA_VERSION) throw new SchemaVersionError(path, found, LATEST_SCHEMA_VERSION);
  for (const m of MIGRATIONS) if (m.version > found) step.immediate(m);
  return applied;
}
