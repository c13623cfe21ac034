/**
 * The single-node Store: one SQLite file in WAL mode through better-sqlite3. Calls are synchronous
 * and fast (prepared statements, indexed lookups); they are wrapped in async methods so callers
 * are written against the same interface a PostgreSQL store will implement.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as contract from '@babelcast/core/store-rows';
import * as layout from '@babelcast/core/store-rows';
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';

export interface SqliteStoreOptions {
  /** File path (its directory is created if missing), or ':memory:' for a throwaway database. */
  path: string;
  /** How long a write waits for another connection's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/**
 * Purges delete at most this many segment rows per transaction and then yield to the event loop:
 * better-sqlite3 blocks the thread, and a long delete would stall live audio and captions.
 */
const PURGE_BATCH = 2000;

/** SQLite has no array type: a session's target languages are JSON text. */
type StoredSessionRow = Omit<layout.SessionRow, 'target_languages'> & { target_languages: string | null };
const toSession = (r: StoredSessionRow): contract.SessionRecord =>
  layout.sessionFromRow({
    ...r,
    target_languages: r.target_languages === null ? null : (JSON.parse(r.target_languages) as string[]),
  });

/** Ended before the cutoff; a session ended without endedAt counts from its last update. */
const EXPIRED = "state = 'ended' AND COALESCE(ended_at, updated_at) < ?";

export class SqliteStore implements contract.Store {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly purges = new layout.OneAtATime();
  private closing = false;

  private constructor(private readonly db: Database.Database) {}

  /** Opens (creating if needed) and migrates the database. Throws SchemaVersionError if it is too new. */
  static open(options: SqliteStoreOptions): SqliteStore {
    const { path } = options;
    const inMemory = path === ':memory:';
    if (!inMemory) mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
      if (!inMemory) db.pragma('journal_mode = WAL');
      // WAL makes NORMAL durable against application crashes; only power loss can drop the last commits.
      db.pragma('synchronous = NORMAL');
      // Purged transcripts are private (sermons, classes, town halls): overwrite their pages, not just unlink them.
      db.pragma('secure_delete = ON');
      migrate(db, path);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteStore(db);
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  async createSession(s: contract.SessionRecord): Promise<void> {
    this.stmt(
      `INSERT INTO sessions (${layout.SESSION_COLUMNS}) VALUES
       (@id, @title, @sourceLanguage, @state, @ownerId, @createdAt, @updatedAt, @endedAt,
        @targetLanguages, @pauseReason, @lastAudioSeq)`,
    ).run({ ...s, targetLanguages: s.targetLanguages === null ? null : JSON.stringify(s.targetLanguages) });
  }

  async getSession(id: string): Promise<contract.SessionRecord | null> {
    const row = this.stmt(`SELECT ${layout.SESSION_COLUMNS} FROM sessions WHERE id = ?`).get(id) as
      | StoredSessionRow
      | undefined;
    return row ? toSession(row) : null;
  }

  async listSessions(filter: contract.SessionFilter = {}): Promise<contract.SessionRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.state) {
      where.push('state = ?');
      params.push(filter.state);
    }
    if (filter.ownerId) {
      where.push('owner_id = ?');
      params.push(filter.ownerId);
    }
    params.push(filter.limit ?? 1000);
    const sql = `SELECT ${layout.SESSION_COLUMNS} FROM sessions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    return (this.stmt(sql).all(...params) as StoredSessionRow[]).map(toSession);
  }

  async updateSessionState(
    id: string,
    state: contract.SessionState,
    at: number,
    patch: contract.SessionStatePatch = {},
  ): Promise<void> {
    this.stmt(
      `UPDATE sessions SET state = @state, updated_at = @at,
         ended_at = CASE WHEN @state = 'ended' THEN @at ELSE ended_at END,
         pause_reason = CASE WHEN @setReason THEN @pauseReason ELSE pause_reason END,
         last_audio_seq = CASE WHEN @setSeq THEN @lastAudioSeq ELSE last_audio_seq END
       WHERE id = @id`,
    ).run({
      id,
      state,
      at,
      setReason: patch.pauseReason === undefined ? 0 : 1,
      pauseReason: patch.pauseReason ?? null,
      setSeq: patch.lastAudioSeq === undefined ? 0 : 1,
      lastAudioSeq: patch.lastAudioSeq ?? null,
    });
  }

  async upsertSpeaker(sp: contract.SpeakerRecord): Promise<void> {
    this.stmt(
      `INSERT INTO speakers (id, name, created_at) VALUES (@id, @name, @createdAt)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name`,
    ).run(sp);
  }

  async getSpeaker(id: string): Promise<contract.SpeakerRecord | null> {
    const row = this.stmt('SELECT id, name, created_at FROM speakers WHERE id = ?').get(id) as
      | layout.SpeakerRow
      | undefined;
    return row ? layout.speakerFromRow(row) : null;
  }

  async createApiToken(t: contract.ApiTokenRecord): Promise<void> {
    this.stmt(
      `INSERT INTO api_tokens (${layout.TOKEN_COLUMNS}) VALUES
       (@id, @name, @speakerId, @tokenHash, @createdAt, @revokedAt)`,
    ).run(t);
  }

  async findApiTokenByHash(tokenHash: string): Promise<contract.ApiTokenRecord | null> {
    const row = this.stmt(`SELECT ${layout.TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?`).get(
      tokenHash,
    ) as layout.ApiTokenRow | undefined;
    return row ? layout.apiTokenFromRow(row) : null;
  }

  async listApiTokens(): Promise<contract.ApiTokenRecord[]> {
    const rows = this.stmt(`SELECT ${layout.TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, rowid`).all();
    return (rows as layout.ApiTokenRow[]).map(layout.apiTokenFromRow);
  }

  async revokeApiToken(id: string, at: number): Promise<boolean> {
    const result = this.stmt('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(
      at,
      id,
    );
    return result.changes > 0;
  }

  async renameSpeakerIds(rename: (id: string) => string | null): Promise<number> {
    const ids = this.stmt(
      `SELECT id FROM speakers UNION SELECT owner_id FROM sessions UNION SELECT speaker_id FROM api_tokens`,
    )
      .pluck()
      .all() as string[];
    const renames = ids
      .map((from) => [from, rename(from)] as const)
      .filter((r): r is readonly [string, string] => r[1] !== null && r[1] !== r[0]);
    if (renames.length === 0) return 0;
    const apply = this.db.transaction(() => {
      for (const [from, to] of renames) {
        // If the new id already has a speaker row (it signed in since), keep that one.
        this.stmt('UPDATE OR IGNORE speakers SET id = ? WHERE id = ?').run(to, from);
        this.stmt('DELETE FROM speakers WHERE id = ?').run(from);
        this.stmt('UPDATE sessions SET owner_id = ? WHERE owner_id = ?').run(to, from);
        this.stmt('UPDATE api_tokens SET speaker_id = ? WHERE speaker_id = ?').run(to, from);
      }
    });
    apply.immediate();
    return renames.length;
  }

  async appendSegment(seg: contract.TranscriptSegment): Promise<void> {
    this.stmt(
      `INSERT INTO segments (${layout.SEGMENT_COLUMNS}) VALUES
       (@sessionId, @segmentId, @seq, @lang, @kind, @text, @mediaStartMs, @mediaEndMs, @createdAt)`,
    ).run(seg);
  }

  async listSegments(
    sessionId: string,
    filter: contract.SegmentFilter = {},
  ): Promise<contract.TranscriptSegment[]> {
    const { where, params } = layout.segmentWhere(sessionId, filter, () => '?');
    if (filter.last !== undefined) {
      // The newest N, read backwards through the (session_id, seq) index, then put back in order.
      const rows = this.stmt(
        `SELECT ${layout.SEGMENT_COLUMNS} FROM segments WHERE ${where} ORDER BY seq DESC, id DESC LIMIT ?`,
      ).all(...params, Math.max(0, Math.trunc(filter.last))) as layout.SegmentRow[];
      return rows.reverse().map(layout.segmentFromRow);
    }
    const rows = this.stmt(
      `SELECT ${layout.SEGMENT_COLUMNS} FROM segments WHERE ${where} ORDER BY seq, id`,
    ).all(...params);
    return (rows as layout.SegmentRow[]).map(layout.segmentFromRow);
  }

  async lastNumbers(sessionId: string): Promise<{ seq: number; segmentId: number }> {
    const row = this.stmt(
      `SELECT COALESCE(MAX(seq), 0) AS seq, COALESCE(MAX(segment_id), 0) AS segmentId
       FROM segments WHERE session_id = ?`,
    ).get(sessionId) as { seq: number; segmentId: number };
    return { seq: row.seq, segmentId: row.segmentId };
  }

  /**
   * Session by session, segments in bounded batches, yielding between batches. A session row is
   * deleted last, in the same transaction as its final batch, so an interrupted purge resumes on
   * the next run. Concurrent calls are serialised.
   */
  purgeOlderThan(cutoff: number): Promise<{ sessions: number; segments: number }> {
    return this.purges.run(() => this.purge(cutoff));
  }

  private async purge(cutoff: number): Promise<{ sessions: number; segments: number }> {
    const totals = { sessions: 0, segments: 0 };
    const expired = this.stmt(`SELECT id FROM sessions WHERE ${EXPIRED}`).pluck().all(cutoff) as string[];
    const deleteBatch = this.stmt(
      'DELETE FROM segments WHERE id IN (SELECT id FROM segments WHERE session_id = ? LIMIT ?)',
    );
    const deleteSession = this.stmt(`DELETE FROM sessions WHERE id = ? AND ${EXPIRED}`);
    const step = this.db.transaction((id: string) => {
      const segments = deleteBatch.run(id, PURGE_BATCH).changes;
      const done = segments < PURGE_BATCH;
      const sessions = done ? deleteSession.run(id, cutoff).changes : 0;
      return { segments, sessions, done };
    });
    for (const id of expired) {
      for (;;) {
        if (this.closing) return totals;
        const r = step.immediate(id);
        totals.segments += r.segments;
        totals.sessions += r.sessions;
        if (r.done) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Move the deleted pages out of the WAL into the (securely overwritten) main file.
    if (totals.segments > 0 || totals.sessions > 0) this.db.pragma('wal_checkpoint(TRUNCATE)');
    return totals;
  }

  /** Stops a running purge at its next batch, then closes the file. Safe to call twice. */
  async close(): Promise<void> {
    this.closing = true;
    await this.purges.idle();
    if (this.db.open) this.db.close();
  }
}
