/**
 * Persistence behind one interface: SQLite for a single node (default), PostgreSQL when gateways
 * and pipeline workers run on several machines. Async everywhere so both fit.
 */
import type { SessionState, TranscriptSegment } from '@babelcast/protocol';
import { within } from '../async/within.ts';

/**
 * Why a session is paused. `speaker`: the speaker (or an operator) pressed Pause, and only they
 * resume it. `shutdown` (the node stopped while it was live) and `idle` (no speaker for a while):
 * it resumes by itself when its speaker reconnects.
 */
export type PauseReason = 'speaker' | 'shutdown' | 'idle';

export interface SessionRecord {
  id: string;
  title: string | null;
  sourceLanguage: string;
  state: SessionState;
  ownerId: string;
  createdAt: number;
  updatedAt: number;
  endedAt: number | null;
  /** Target languages the session offers; null (sessions from before this field): every one served. */
  targetLanguages: string[] | null;
  /** Set while paused (null otherwise, and for sessions paused before this field existed). */
  pauseReason: PauseReason | null;
  /** Highest speaker audio seq accepted, saved when the session is suspended (restart). */
  lastAudioSeq: number | null;
}

/** Written together with a state change. */
export interface SessionStatePatch {
  pauseReason?: PauseReason | null;
  lastAudioSeq?: number | null;
}

export interface SegmentFilter {
  lang?: string;
  kind?: 'source' | 'translation';
  /** Only the last this-many matching segments (highest seqs), still in seq order. */
  last?: number;
}

export interface SpeakerRecord {
  id: string;
  name: string;
  createdAt: number;
}

export interface ApiTokenRecord {
  id: string;
  name: string;
  speakerId: string;
  /** SHA-256 of the token, hex. The token itself is shown once and never stored. */
  tokenHash: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface SessionFilter {
  state?: SessionState;
  ownerId?: string;
  limit?: number;
}

export interface Store {
  createSession(session: SessionRecord): Promise<void>;
  getSession(id: string): Promise<SessionRecord | null>;
  listSessions(filter?: SessionFilter): Promise<SessionRecord[]>;
  /** Sets state and updatedAt (endedAt on `ended`), and the patch's fields when given. */
  updateSessionState(id: string, state: SessionState, at: number, patch?: SessionStatePatch): Promise<void>;

  upsertSpeaker(speaker: SpeakerRecord): Promise<void>;
  getSpeaker(id: string): Promise<SpeakerRecord | null>;

  createApiToken(token: ApiTokenRecord): Promise<void>;
  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | null>;
  listApiTokens(): Promise<ApiTokenRecord[]>;
  revokeApiToken(id: string, at: number): Promise<boolean>;
  /**
   * Renames speaker ids everywhere they are kept (speakers, session owners, API tokens), in one
   * transaction: `rename` returns the new id, or null to keep one. Returns how many ids changed.
   * For migrations of the id scheme (e.g. namespacing JWT subjects per provider).
   */
  renameSpeakerIds(rename: (id: string) => string | null): Promise<number>;

  appendSegment(segment: TranscriptSegment): Promise<void>;
  /** Segments in seq order, optionally for one language and/or kind. */
  listSegments(sessionId: string, filter?: SegmentFilter): Promise<TranscriptSegment[]>;
  /** Highest seq and segment id stored for the session (0 when none): numbering resumes after them. */
  lastNumbers(sessionId: string): Promise<{ seq: number; segmentId: number }>;

  /** Delete transcripts of sessions that ended (or were last updated) before `cutoff`. */
  purgeOlderThan(cutoff: number): Promise<{ sessions: number; segments: number }>;
  /** One round trip to a store on a server (PostgreSQL), for /readyz; a local store has none. */
  ping?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `ok`, `unreachable` (no answer within `timeoutMs`, or an error), or `local` for a store without a
 * server (SQLite, memory). For readiness checks.
 */
export type StoreStatus = 'ok' | 'unreachable' | 'local';

export async function storeStatus(store: Store, timeoutMs = 1000): Promise<StoreStatus> {
  if (!store.ping) return 'local';
  let answered = false;
  const settled = await within(
    store.ping().then(() => {
      answered = true;
    }),
    timeoutMs,
  );
  return settled && answered ? 'ok' : 'unreachable';
}

/**
 * storeStatus, asked of the store at most once per `maxAgeMs`: /readyz answers anyone, and each
 * answer must not cost a database round trip (a balancer polls every second or two).
 */
export function storeStatusEvery(store: Store, maxAgeMs = 1000): () => Promise<StoreStatus> {
  let last: { at: number; status: Promise<StoreStatus> } | null = null;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= maxAgeMs) last = { at: now, status: storeStatus(store) };
    return last.status;
  };
}
