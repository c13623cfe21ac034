/**
 * How the SQL stores (SQLite, PostgreSQL) lay records out: one row type, one column list and one
 * row-to-record mapping per table, so the two stores cannot drift apart. A store keeps only what
 * its database does differently (SQLite holds target languages as JSON text, PostgreSQL as an
 * array; placeholders; BIGINT parsing).
 *
 * It also re-exports the Store contract (contract.ts) and the queue both run their purges through
 * (one-at-a-time.ts), so a SQL store reaches all it shares through the one package entry it
 * imports, @babelcast/core/store-rows.
 */
import type { SessionState, TranscriptSegment } from '@babelcast/protocol';
import type { ApiTokenRecord, PauseReason, SegmentFilter, SessionRecord, SpeakerRecord } from './store.ts';

export type * from './contract.ts';
export { OneAtATime } from './one-at-a-time.ts';

export interface SessionRow {
  id: string;
  title: string | null;
  source_language: string;
  state: SessionState;
  owner_id: string;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
  target_languages: string[] | null;
  pause_reason: PauseReason | null;
  last_audio_seq: number | null;
}

export interface SpeakerRow {
  id: string;
  name: string;
  created_at: number;
}

export interface ApiTokenRow {
  id: string;
  name: string;
  speaker_id: string;
  token_hash: string;
  created_at: number;
  revoked_at: number | null;
}

export interface SegmentRow {
  session_id: string;
  segment_id: number;
  seq: number;
  lang: string;
  kind: 'source' | 'translation';
  text: string;
  media_start_ms: number;
  media_end_ms: number;
  created_at: number;
}

/** Column lists in the order the stores insert them. */
export const SESSION_COLUMNS =
  'id, title, source_language, state, owner_id, created_at, updated_at, ended_at, target_languages, pause_reason, last_audio_seq';
export const SEGMENT_COLUMNS =
  'session_id, segment_id, seq, lang, kind, text, media_start_ms, media_end_ms, created_at';
export const TOKEN_COLUMNS = 'id, name, speaker_id, token_hash, created_at, revoked_at';

export const sessionFromRow = (r: SessionRow): SessionRecord => ({
  id: r.id,
  title: r.title,
  sourceLanguage: r.source_language,
  state: r.state,
  ownerId: r.owner_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  endedAt: r.ended_at,
  targetLanguages: r.target_languages,
  pauseReason: r.pause_reason,
  lastAudioSeq: r.last_audio_seq,
});

export const speakerFromRow = (r: SpeakerRow): SpeakerRecord => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
});

export const apiTokenFromRow = (r: ApiTokenRow): ApiTokenRecord => ({
  id: r.id,
  name: r.name,
  speakerId: r.speaker_id,
  tokenHash: r.token_hash,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export const segmentFromRow = (r: SegmentRow): TranscriptSegment => ({
  sessionId: r.session_id,
  segmentId: r.segment_id,
  seq: r.seq,
  lang: r.lang,
  kind: r.kind,
  text: r.text,
  mediaStartMs: r.media_start_ms,
  mediaEndMs: r.media_end_ms,
  createdAt: r.created_at,
});

/**
 * The WHERE clause and parameters of a segment listing (a session's segments, by language and
 * kind), written with the database's placeholder for the n-th parameter: SQLite `?`, PostgreSQL `$n`.
 */
export function segmentWhere(
  sessionId: string,
  filter: SegmentFilter,
  placeholder: (n: number) => string,
): { where: string; params: unknown[] } {
  const params: unknown[] = [sessionId];
  const clauses = [`session_id = ${placeholder(1)}`];
  for (const [column, value] of [
    ['lang', filter.lang],
    ['kind', filter.kind],
  ] as const) {
    if (!value) continue;
    params.push(value);
    clauses.push(`${column} = ${placeholder(params.length)}`);
  }
  return { where: clauses.join(' AND '), params };
}
