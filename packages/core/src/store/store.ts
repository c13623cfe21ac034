/**
 * Persistence behind one interface: SQLite for a single node (default), PostgreSQL when gateways
 * and pipeline workers run on several machines. Async everywhere so both fit.
 */
import type { SessionState } from '@babelcast/protocol';
import type { TranscriptSegment } from '../pipeline/types.ts';

export interface SessionRecord {
  id: string;
  title: string | null;
  sourceLanguage: string;
  state: SessionState;
  ownerId: string;
  createdAt: number;
  updatedAt: number;
  endedAt: number | null;
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
  updateSessionState(id: string, state: SessionState, at: number): Promise<void>;

  upsertSpeaker(speaker: SpeakerRecord): Promise<void>;
  getSpeaker(id: string): Promise<SpeakerRecord | null>;

  createApiToken(token: ApiTokenRecord): Promise<void>;
  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | null>;
  listApiTokens(): Promise<ApiTokenRecord[]>;
  revokeApiToken(id: string, at: number): Promise<boolean>;

  appendSegment(segment: TranscriptSegment): Promise<void>;
  /** Segments in seq order, optionally for one language and/or kind. */
  listSegments(
    sessionId: string,
    filter?: { lang?: string; kind?: 'source' | 'translation' },
  ): Promise<TranscriptSegment[]>;
  /** Highest seq and segment id stored for the session (0 when none): numbering resumes after them. */
  lastNumbers(sessionId: string): Promise<{ seq: number; segmentId: number }>;

  /** Delete transcripts of sessions that ended (or were last updated) before `cutoff`. */
  purgeOlderThan(cutoff: number): Promise<{ sessions: number; segments: number }>;
  close(): Promise<void>;
}
