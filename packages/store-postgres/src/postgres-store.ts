/**
 * The cluster Store: PostgreSQL through a node-postgres (`pg`) connection pool. Every gateway and
 * worker opens its own pool on the same database; the schema is migrated at start under an
 * advisory lock, so any number of processes may start at once.
 *
 * Same semantics as the SQLite store (the shared conformance suite runs against both).
 */
import type * as contract from '@babelcast/core/store-rows';
import * as layout from '@babelcast/core/store-rows';
import pg from 'pg';
import { connectError, describeTarget, PostgresConnectError } from './connect-error.ts';
import { LOCK_PURGE, LOCK_RENAME, migrate, quoteIdent } from './migrations.ts';

/** The part of a pino logger the store uses. */
export interface PostgresStoreLogger {
  warn(obj: object, msg: string): void;
}

export interface PostgresStoreOptions {
  /** postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (libpq parameters such as sslmode also work). */
  url: string;
  /** Schema holding Babelcast's tables, created if missing. Default: the connection's current schema (public). */
  schema?: string;
  /** Connections this process keeps at most. Default 10. */
  poolSize?: number;
  /** How long getting a connection may take before a call fails. Default 5000 ms. */
  connectTimeoutMs?: number;
  logger?: PostgresStoreLogger;
}

/** Segment rows deleted per transaction by a purge; short transactions keep live writes flowing. */
const PURGE_BATCH = 5000;
const INT8_OID = 20;
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * BIGINT columns (times in ms, seqs) and COUNT/MAX come back as strings by default; every value
 * Babelcast stores is far below 2^53, so they are read as numbers. Per pool, not pg's global parsers.
 */
const parseInt8 = (value: string): number => Number(value);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** Ended before the cutoff (parameter `param`); a session ended without endedAt counts from its last update. */
const expired = (param: string) => `state = 'ended' AND COALESCE(ended_at, updated_at) < ${param}::bigint`;

export class PostgresStore implements contract.Store {
  private readonly purges = new layout.OneAtATime();
  private closing = false;
  private closed: Promise<void> | null = null;
  /** Tables, schema-qualified and quoted. */
  private readonly t: { sessions: string; speakers: string; tokens: string; segments: string };

  private constructor(
    private readonly pool: pg.Pool,
    /** The schema holding the tables. */
    readonly schema: string,
    /** host:port, for messages. */
    readonly address: string,
  ) {
    const s = quoteIdent(schema);
    this.t = {
      sessions: `${s}.sessions`,
      speakers: `${s}.speakers`,
      tokens: `${s}.api_tokens`,
      segments: `${s}.segments`,
    };
  }

  /**
   * Connects, creates the schema if needed and migrates it. Throws PostgresConnectError (naming
   * host:port, never the password) when PostgreSQL cannot be reached or refuses the connection,
   * and SchemaVersionError when the schema was migrated by a newer Babelcast.
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const target = describeTarget(options.url);
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new PostgresConnectError(
        `invalid PostgreSQL schema name ${JSON.stringify(options.schema)}: use letters, digits and _`,
        target.address,
      );
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'babelcast',
      types,
    });
    // An idle connection dropped by the server (restart, failover) must not crash the process:
    // the pool discards it and opens a new one on the next query.
    pool.on('error', (err) =>
      options.logger?.warn(
        { err: { message: err.message }, postgres: target.address },
        'postgres connection lost',
      ),
    );
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      await pool.end().catch(() => {});
      throw connectError(err, target);
    }
    try {
      let schema = options.schema;
      if (schema === undefined) {
        const current = await client.query<{ s: string | null }>('SELECT current_schema() AS s');
        schema = current.rows[0]?.s ?? undefined;
        if (!schema) {
          throw new PostgresConnectError(
            `PostgreSQL at ${target.address}: the user's search_path names no existing schema; ` +
              'set store.postgresSchema, or create the schema first',
            target.address,
          );
        }
      }
      await migrate(client, schema, `"${schema}" (database ${target.database} at ${target.address})`);
      client.release();
      return new PostgresStore(pool, schema, target.address);
    } catch (err) {
      client.release(true);
      await pool.end().catch(() => {});
      throw err;
    }
  }

  /** One round trip to the server: for readiness checks. */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  private async rows<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(text, values)).rows;
  }

  /** Runs `fn` in one transaction on one connection. */
  private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      client.release(true);
      throw err;
    }
  }

  async createSession(s: contract.SessionRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.t.sessions} (${layout.SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        s.id,
        s.title,
        s.sourceLanguage,
        s.state,
        s.ownerId,
        s.createdAt,
        s.updatedAt,
        s.endedAt,
        s.targetLanguages,
        s.pauseReason,
        s.lastAudioSeq,
      ],
    );
  }

  async getSession(id: string): Promise<contract.SessionRecord | null> {
    const [row] = await this.rows<layout.SessionRow>(
      `SELECT ${layout.SESSION_COLUMNS} FROM ${this.t.sessions} WHERE id = $1`,
      [id],
    );
    return row ? layout.sessionFromRow(row) : null;
  }

  async listSessions(filter: contract.SessionFilter = {}): Promise<contract.SessionRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.state) {
      params.push(filter.state);
      where.push(`state = $${params.length}`);
    }
    if (filter.ownerId) {
      params.push(filter.ownerId);
      where.push(`owner_id = $${params.length}`);
    }
    params.push(filter.limit ?? 1000);
    const rows = await this.rows<layout.SessionRow>(
      `SELECT ${layout.SESSION_COLUMNS} FROM ${this.t.sessions} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, ord DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(layout.sessionFromRow);
  }

  async updateSessionState(
    id: string,
    state: contract.SessionState,
    at: number,
    patch: contract.SessionStatePatch = {},
  ): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.t.sessions} SET state = $2::text, updated_at = $3::bigint,
         ended_at = CASE WHEN $2::text = 'ended' THEN $3::bigint ELSE ended_at END,
         pause_reason = CASE WHEN $4::boolean THEN $5::text ELSE pause_reason END,
         last_audio_seq = CASE WHEN $6::boolean THEN $7::bigint ELSE last_audio_seq END
       WHERE id = $1`,
      [
        id,
        state,
        at,
        patch.pauseReason !== undefined,
        patch.pauseReason ?? null,
        patch.lastAudioSeq !== undefined,
        patch.lastAudioSeq ?? null,
      ],
    );
  }

  async upsertSpeaker(sp: contract.SpeakerRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.t.speakers} (id, name, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name`,
      [sp.id, sp.name, sp.createdAt],
    );
  }

  async getSpeaker(id: string): Promise<contract.SpeakerRecord | null> {
    const [row] = await this.rows<layout.SpeakerRow>(
      `SELECT id, name, created_at FROM ${this.t.speakers} WHERE id = $1`,
      [id],
    );
    return row ? layout.speakerFromRow(row) : null;
  }

  async createApiToken(t: contract.ApiTokenRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.t.tokens} (${layout.TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`,
      [t.id, t.name, t.speakerId, t.tokenHash, t.createdAt, t.revokedAt],
    );
  }

  async findApiTokenByHash(tokenHash: string): Promise<contract.ApiTokenRecord | null> {
    const [row] = await this.rows<layout.ApiTokenRow>(
      `SELECT ${layout.TOKEN_COLUMNS} FROM ${this.t.tokens} WHERE token_hash = $1`,
      [tokenHash],
    );
    return row ? layout.apiTokenFromRow(row) : null;
  }

  async listApiTokens(): Promise<contract.ApiTokenRecord[]> {
    const rows = await this.rows<layout.ApiTokenRow>(
      `SELECT ${layout.TOKEN_COLUMNS} FROM ${this.t.tokens} ORDER BY created_at, ord`,
    );
    return rows.map(layout.apiTokenFromRow);
  }

  async revokeApiToken(id: string, at: number): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE ${this.t.tokens} SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`,
      [id, at],
    );
    return (result.rowCount ?? 0) > 0;
  }

  /**
   * In one transaction, under an advisory lock: every process runs this at start, and the ids
   * are read inside the lock so a second process finds them already renamed.
   */
  async renameSpeakerIds(rename: (id: string) => string | null): Promise<number> {
    const { sessions, speakers, tokens } = this.t;
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [LOCK_RENAME, this.schema]);
      const ids = (
        await client.query<{ id: string }>(
          `SELECT id FROM ${speakers} UNION SELECT owner_id FROM ${sessions} UNION SELECT speaker_id FROM ${tokens}`,
        )
      ).rows.map((r) => r.id);
      const renames = ids
        .map((from) => [from, rename(from)] as const)
        .filter((r): r is readonly [string, string] => r[1] !== null && r[1] !== r[0]);
      for (const [from, to] of renames) {
        // If the new id already has a speaker row (it signed in since), keep that one.
        await client.query(
          `UPDATE ${speakers} SET id = $1 WHERE id = $2 AND NOT EXISTS (SELECT 1 FROM ${speakers} WHERE id = $1)`,
          [to, from],
        );
        await client.query(`DELETE FROM ${speakers} WHERE id = $1`, [from]);
        await client.query(`UPDATE ${sessions} SET owner_id = $1 WHERE owner_id = $2`, [to, from]);
        await client.query(`UPDATE ${tokens} SET speaker_id = $1 WHERE speaker_id = $2`, [to, from]);
      }
      return renames.length;
    });
  }

  async appendSegment(seg: contract.TranscriptSegment): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.t.segments} (${layout.SEGMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        seg.sessionId,
        seg.segmentId,
        seg.seq,
        seg.lang,
        seg.kind,
        seg.text,
        seg.mediaStartMs,
        seg.mediaEndMs,
        seg.createdAt,
      ],
    );
  }

  async listSegments(
    sessionId: string,
    filter: contract.SegmentFilter = {},
  ): Promise<contract.TranscriptSegment[]> {
    const { where, params } = layout.segmentWhere(sessionId, filter, (n) => `$${n}`);
    if (filter.last !== undefined) {
      // The newest N, read backwards through the (session_id, seq, id) index, then put back in order.
      params.push(Math.max(0, Math.trunc(filter.last)));
      const rows = await this.rows<layout.SegmentRow>(
        `SELECT ${layout.SEGMENT_COLUMNS} FROM ${this.t.segments} WHERE ${where}
         ORDER BY seq DESC, id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.reverse().map(layout.segmentFromRow);
    }
    const rows = await this.rows<layout.SegmentRow>(
      `SELECT ${layout.SEGMENT_COLUMNS} FROM ${this.t.segments} WHERE ${where} ORDER BY seq, id`,
      params,
    );
    return rows.map(layout.segmentFromRow);
  }

  async lastNumbers(sessionId: string): Promise<{ seq: number; segmentId: number }> {
    const [row] = await this.rows<{ seq: number; segment_id: number }>(
      `SELECT COALESCE(MAX(seq), 0) AS seq, COALESCE(MAX(segment_id), 0) AS segment_id
       FROM ${this.t.segments} WHERE session_id = $1`,
      [sessionId],
    );
    return { seq: row?.seq ?? 0, segmentId: row?.segment_id ?? 0 };
  }

  /**
   * Session by session, segments in bounded batches; a session row is deleted last, in the same
   * transaction as its final batch, so an interrupted purge resumes on the next run. Calls in this
   * process are serialised. Every node runs retention: each batch takes a transaction-level
   * advisory lock, and a node that finds it taken stops (another node is purging), so nodes do not
   * race over the same rows. Only transaction-scoped locks, so PgBouncer in transaction mode works.
   */
  purgeOlderThan(cutoff: number): Promise<{ sessions: number; segments: number }> {
    return this.purges.run(() => this.purge(cutoff));
  }

  private async purge(cutoff: number): Promise<{ sessions: number; segments: number }> {
    const totals = { sessions: 0, segments: 0 };
    if (this.closing) return totals;
    const ids = (
      await this.rows<{ id: string }>(`SELECT id FROM ${this.t.sessions} WHERE ${expired('$1')}`, [cutoff])
    ).map((r) => r.id);
    for (const id of ids) {
      for (;;) {
        if (this.closing) return totals;
        const step = await this.transaction((client) => this.purgeStep(client, id, cutoff));
        if (step === null) return totals;
        totals.segments += step.segments;
        totals.sessions += step.sessions;
        if (step.done) break;
      }
    }
    return totals;
  }

  /**
   * One batch of a session's segments, and the session row with the last batch, inside the
   * caller's transaction. Null when another node holds the purge lock.
   */
  private async purgeStep(
    client: pg.PoolClient,
    id: string,
    cutoff: number,
  ): Promise<{ segments: number; sessions: number; done: boolean } | null> {
    const locked = await client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_xact_lock($1::int, hashtext($2)) AS ok',
      [LOCK_PURGE, this.schema],
    );
    if (!locked.rows[0]?.ok) return null;
    const deleted = await client.query(
      `DELETE FROM ${this.t.segments} WHERE id IN
         (SELECT id FROM ${this.t.segments} WHERE session_id = $1 LIMIT $2)`,
      [id, PURGE_BATCH],
    );
    const segments = deleted.rowCount ?? 0;
    const done = segments < PURGE_BATCH;
    let sessions = 0;
    if (done) {
      const gone = await client.query(`DELETE FROM ${this.t.sessions} WHERE id = $1 AND ${expired('$2')}`, [
        id,
        cutoff,
      ]);
      sessions = gone.rowCount ?? 0;
    }
    return { segments, sessions, done };
  }

  /** Stops a running purge at its next batch, then closes the pool. Safe to call twice. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      await this.purges.idle();
      await this.pool.end();
    })();
    return this.closed;
  }
}
