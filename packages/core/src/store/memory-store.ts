import type * as contract from './contract.ts';

const copySession = (s: contract.SessionRecord): contract.SessionRecord => ({
  ...s,
  targetLanguages: s.targetLanguages ? [...s.targetLanguages] : null,
});

/** In-memory Store for tests and throwaway runs. Same semantics as the SQLite store. */
export class MemoryStore implements contract.Store {
  private readonly sessions = new Map<string, contract.SessionRecord>();
  private readonly speakers = new Map<string, contract.SpeakerRecord>();
  private readonly tokens = new Map<string, contract.ApiTokenRecord>();
  private segments: contract.TranscriptSegment[] = [];

  async createSession(s: contract.SessionRecord): Promise<void> {
    if (this.sessions.has(s.id)) throw new Error(`session ${s.id} exists`);
    this.sessions.set(s.id, copySession(s));
  }
  async getSession(id: string): Promise<contract.SessionRecord | null> {
    const s = this.sessions.get(id);
    return s ? copySession(s) : null;
  }
  async listSessions(filter: contract.SessionFilter = {}): Promise<contract.SessionRecord[]> {
    return [...this.sessions.values()]
      .filter(
        (s) =>
          (!filter.state || s.state === filter.state) && (!filter.ownerId || s.ownerId === filter.ownerId),
      )
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, filter.limit ?? 1000)
      .map(copySession);
  }
  async updateSessionState(
    id: string,
    state: contract.SessionState,
    at: number,
    patch: contract.SessionStatePatch = {},
  ): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    s.state = state;
    s.updatedAt = at;
    if (state === 'ended') s.endedAt = at;
    if (patch.pauseReason !== undefined) s.pauseReason = patch.pauseReason;
    if (patch.lastAudioSeq !== undefined) s.lastAudioSeq = patch.lastAudioSeq;
  }
  async upsertSpeaker(sp: contract.SpeakerRecord): Promise<void> {
    if (!this.speakers.has(sp.id)) this.speakers.set(sp.id, { ...sp });
    else this.speakers.get(sp.id)!.name = sp.name;
  }
  async getSpeaker(id: string): Promise<contract.SpeakerRecord | null> {
    const sp = this.speakers.get(id);
    return sp ? { ...sp } : null;
  }
  async createApiToken(t: contract.ApiTokenRecord): Promise<void> {
    this.tokens.set(t.id, { ...t });
  }
  async findApiTokenByHash(hash: string): Promise<contract.ApiTokenRecord | null> {
    for (const t of this.tokens.values()) if (t.tokenHash === hash) return { ...t };
    return null;
  }
  async listApiTokens(): Promise<contract.ApiTokenRecord[]> {
    return [...this.tokens.values()].map((t) => ({ ...t }));
  }
  async revokeApiToken(id: string, at: number): Promise<boolean> {
    const t = this.tokens.get(id);
    if (!t || t.revokedAt) return false;
    t.revokedAt = at;
    return true;
  }
  async renameSpeakerIds(rename: (id: string) => string | null): Promise<number> {
    const ids = new Set<string>([
      ...this.speakers.keys(),
      ...[...this.sessions.values()].map((s) => s.ownerId),
      ...[...this.tokens.values()].map((t) => t.speakerId),
    ]);
    let changed = 0;
    for (const from of ids) {
      const to = rename(from);
      if (to === null || to === from) continue;
      changed++;
      const speaker = this.speakers.get(from);
      if (speaker) {
        this.speakers.delete(from);
        if (!this.speakers.has(to)) this.speakers.set(to, { ...speaker, id: to });
      }
      for (const s of this.sessions.values()) if (s.ownerId === from) s.ownerId = to;
      for (const t of this.tokens.values()) if (t.speakerId === from) t.speakerId = to;
    }
    return changed;
  }
  async appendSegment(seg: contract.TranscriptSegment): Promise<void> {
    this.segments.push({ ...seg });
  }
  async listSegments(sessionId: string, filter: contract.SegmentFilter = {}) {
    const all = this.segments
      .filter(
        (s) =>
          s.sessionId === sessionId &&
          (!filter.lang || s.lang === filter.lang) &&
          (!filter.kind || s.kind === filter.kind),
      )
      .sort((a, b) => a.seq - b.seq);
    const kept = filter.last === undefined ? all : all.slice(Math.max(0, all.length - filter.last));
    return kept.map((s) => ({ ...s }));
  }
  async lastNumbers(sessionId: string): Promise<{ seq: number; segmentId: number }> {
    let seq = 0;
    let segmentId = 0;
    for (const s of this.segments) {
      if (s.sessionId !== sessionId) continue;
      seq = Math.max(seq, s.seq);
      segmentId = Math.max(segmentId, s.segmentId);
    }
    return { seq, segmentId };
  }
  async purgeOlderThan(cutoff: number): Promise<{ sessions: number; segments: number }> {
    const old = new Set(
      [...this.sessions.values()]
        .filter((s) => (s.endedAt ?? s.updatedAt) < cutoff && s.state === 'ended')
        .map((s) => s.id),
    );
    const before = this.segments.length;
    this.segments = this.segments.filter((s) => !old.has(s.sessionId));
    for (const id of old) this.sessions.delete(id);
    return { sessions: old.size, segments: before - this.segments.length };
  }
  async close(): Promise<void> {}
}
