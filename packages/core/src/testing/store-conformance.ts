/**
 * The Store contract, run against every implementation (memory, SQLite, later PostgreSQL). A store
 * package calls `describeStoreConformance('sqlite', () => SqliteStore.open(...))` from its own test
 * file. Each test gets a fresh, empty store from the factory and closes it afterwards.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TranscriptSegment } from '../pipeline/types.ts';
import type { ApiTokenRecord, SessionRecord, Store } from '../store/store.ts';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

export function sessionRecord(id: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id,
    title: null,
    sourceLanguage: 'en',
    state: 'created',
    ownerId: 'owner-1',
    createdAt: T0,
    updatedAt: T0,
    endedAt: null,
    targetLanguages: null,
    pauseReason: null,
    lastAudioSeq: null,
    ...overrides,
  };
}

export function transcriptSegment(
  sessionId: string,
  seq: number,
  overrides: Partial<TranscriptSegment> = {},
): TranscriptSegment {
  return {
    sessionId,
    segmentId: seq,
    seq,
    lang: 'en',
    kind: 'source',
    text: `sentence ${seq}`,
    mediaStartMs: seq * 1000,
    mediaEndMs: seq * 1000 + 900,
    createdAt: T0 + seq,
    ...overrides,
  };
}

function apiToken(id: string, overrides: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
  return {
    id,
    name: `token ${id}`,
    speakerId: 'speaker-1',
    tokenHash: `hash-${id}`.padEnd(64, '0'),
    createdAt: T0,
    revokedAt: null,
    ...overrides,
  };
}

/**
 * `durable`, for a store that keeps data across a restart: makes a new place (file, schema) and
 * returns how to open a store on it, as many times as a test likes.
 */
export function describeStoreConformance(
  name: string,
  factory: () => Promise<Store>,
  durable?: () => () => Promise<Store>,
): void {
  describe(`Store conformance: ${name}`, () => {
    if (durable)
      it('keeps every record across close and reopen (restart)', async () => {
        const open = durable();
        const first = await open();
        const session = sessionRecord('brave-otter-101', {
          title: 'Assembly',
          state: 'live',
          targetLanguages: ['es', 'fr'],
        });
        await first.createSession(session);
        await first.upsertSpeaker({ id: 'speaker-1', name: 'Ana', createdAt: T0 });
        const token = apiToken('tok-a', { name: 'laptop' });
        await first.createApiToken(token);
        await first.revokeApiToken('tok-a', T0 + 1);
        const segments = [1, 2, 3].map((seq) =>
          transcriptSegment(session.id, seq, { segmentId: seq + 10, mediaStartMs: seq * 1000.25 }),
        );
        for (const s of segments) await first.appendSegment(s);
        await first.close();

        const second = await open();
        expect(await second.getSession(session.id)).toEqual(session);
        expect(await second.getSpeaker('speaker-1')).toEqual({ id: 'speaker-1', name: 'Ana', createdAt: T0 });
        expect(await second.findApiTokenByHash(token.tokenHash)).toEqual({ ...token, revokedAt: T0 + 1 });
        expect(await second.listSegments(session.id)).toEqual(segments);
        expect(await second.lastNumbers(session.id)).toEqual({ seq: 3, segmentId: 13 });
        await second.close();
      });

    let store: Store;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('sessions', () => {
      it('creates and reads back a session with every field intact', async () => {
        const full = sessionRecord('brave-otter-101', {
          title: 'Sunday service',
          sourceLanguage: 'pt-BR',
          state: 'live',
          ownerId: 'speaker-7',
          createdAt: T0 + 5,
          updatedAt: T0 + 9,
          endedAt: null,
        });
        await store.createSession(full);
        expect(await store.getSession(full.id)).toEqual(full);
        const bare = sessionRecord('calm-heron-102');
        await store.createSession(bare);
        expect(await store.getSession(bare.id)).toEqual(bare);
      });

      it('returns null for an unknown session', async () => {
        expect(await store.getSession('missing-session-000')).toBeNull();
      });

      it('rejects a duplicate session id and keeps the original', async () => {
        await store.createSession(sessionRecord('brave-otter-101', { title: 'first' }));
        await expect(
          store.createSession(sessionRecord('brave-otter-101', { title: 'second' })),
        ).rejects.toThrow();
        expect((await store.getSession('brave-otter-101'))?.title).toBe('first');
      });

      it('returns copies: mutating a returned record does not change the store', async () => {
        const record = sessionRecord('brave-otter-101');
        await store.createSession(record);
        record.title = 'changed after create';
        const read = await store.getSession(record.id);
        expect(read?.title).toBeNull();
        if (read) read.title = 'changed after read';
        expect((await store.getSession(record.id))?.title).toBeNull();
        const [listed] = await store.listSessions();
        if (listed) listed.state = 'ended';
        expect((await store.getSession(record.id))?.state).toBe('created');
      });

      it('lists newest first, filtered by state and owner, with a limit', async () => {
        await store.createSession(sessionRecord('a-a-001', { createdAt: T0 + 1, ownerId: 'alice' }));
        await store.createSession(
          sessionRecord('a-a-003', { createdAt: T0 + 3, ownerId: 'bob', state: 'live' }),
        );
        await store.createSession(
          sessionRecord('a-a-002', { createdAt: T0 + 2, ownerId: 'alice', state: 'live' }),
        );
        await store.createSession(
          sessionRecord('a-a-004', { createdAt: T0 + 4, ownerId: 'alice', state: 'ended' }),
        );

        const ids = (records: SessionRecord[]) => records.map((r) => r.id);
        expect(ids(await store.listSessions())).toEqual(['a-a-004', 'a-a-003', 'a-a-002', 'a-a-001']);
        expect(ids(await store.listSessions({}))).toEqual(['a-a-004', 'a-a-003', 'a-a-002', 'a-a-001']);
        expect(ids(await store.listSessions({ state: 'live' }))).toEqual(['a-a-003', 'a-a-002']);
        expect(ids(await store.listSessions({ ownerId: 'alice' }))).toEqual([
          'a-a-004',
          'a-a-002',
          'a-a-001',
        ]);
        expect(ids(await store.listSessions({ ownerId: 'alice', state: 'live' }))).toEqual(['a-a-002']);
        expect(ids(await store.listSessions({ limit: 2 }))).toEqual(['a-a-004', 'a-a-003']);
        expect(ids(await store.listSessions({ ownerId: 'alice', limit: 1 }))).toEqual(['a-a-004']);
        expect(await store.listSessions({ state: 'paused' })).toEqual([]);
        expect(await store.listSessions({ ownerId: 'nobody' })).toEqual([]);
      });

      it('lists full records', async () => {
        const record = sessionRecord('brave-otter-101', { title: 'Town hall', state: 'paused' });
        await store.createSession(record);
        expect(await store.listSessions()).toEqual([record]);
      });

      it('updates state and updatedAt; endedAt is set only on ended', async () => {
        await store.createSession(sessionRecord('brave-otter-101'));
        await store.updateSessionState('brave-otter-101', 'live', T0 + 10);
        expect(await store.getSession('brave-otter-101')).toMatchObject({
          state: 'live',
          updatedAt: T0 + 10,
          endedAt: null,
          createdAt: T0,
        });
        await store.updateSessionState('brave-otter-101', 'paused', T0 + 20);
        expect(await store.getSession('brave-otter-101')).toMatchObject({
          state: 'paused',
          updatedAt: T0 + 20,
          endedAt: null,
        });
        await store.updateSessionState('brave-otter-101', 'ended', T0 + 30);
        expect(await store.getSession('brave-otter-101')).toMatchObject({
          state: 'ended',
          updatedAt: T0 + 30,
          endedAt: T0 + 30,
        });
      });

      it('keeps offered languages, pause reason and last audio seq; a state patch sets only what it names', async () => {
        const record = sessionRecord('brave-otter-101', { targetLanguages: ['es', 'fr'] });
        await store.createSession(record);
        expect(await store.getSession(record.id)).toEqual(record);
        const read = await store.getSession(record.id);
        read?.targetLanguages?.push('de');
        expect((await store.getSession(record.id))?.targetLanguages).toEqual(['es', 'fr']);

        await store.updateSessionState(record.id, 'paused', T0 + 10, {
          pauseReason: 'shutdown',
          lastAudioSeq: 42,
        });
        expect(await store.getSession(record.id)).toMatchObject({
          pauseReason: 'shutdown',
          lastAudioSeq: 42,
        });
        await store.updateSessionState(record.id, 'live', T0 + 20, { pauseReason: null });
        expect(await store.getSession(record.id)).toMatchObject({
          state: 'live',
          pauseReason: null,
          lastAudioSeq: 42,
          targetLanguages: ['es', 'fr'],
        });
        await store.updateSessionState(record.id, 'paused', T0 + 30);
        expect(await store.getSession(record.id)).toMatchObject({ pauseReason: null, lastAudioSeq: 42 });
        expect((await store.listSessions())[0]).toMatchObject({
          targetLanguages: ['es', 'fr'],
          lastAudioSeq: 42,
        });
      });

      it('updates only the named session and ignores an unknown id', async () => {
        await store.createSession(sessionRecord('brave-otter-101'));
        await store.createSession(sessionRecord('calm-heron-102'));
        await store.updateSessionState('brave-otter-101', 'ended', T0 + 30);
        expect((await store.getSession('calm-heron-102'))?.state).toBe('created');
        await expect(store.updateSessionState('missing-session-000', 'live', T0)).resolves.toBeUndefined();
        expect(await store.getSession('missing-session-000')).toBeNull();
      });
    });

    describe('speakers', () => {
      it('inserts, reads back and returns null for an unknown id', async () => {
        await store.upsertSpeaker({ id: 'speaker-1', name: 'Ana', createdAt: T0 });
        expect(await store.getSpeaker('speaker-1')).toEqual({ id: 'speaker-1', name: 'Ana', createdAt: T0 });
        expect(await store.getSpeaker('speaker-2')).toBeNull();
      });

      it('upsert renames an existing speaker and keeps its createdAt', async () => {
        await store.upsertSpeaker({ id: 'speaker-1', name: 'Ana', createdAt: T0 });
        await store.upsertSpeaker({ id: 'speaker-1', name: 'Ana María', createdAt: T0 + 99 });
        expect(await store.getSpeaker('speaker-1')).toEqual({
          id: 'speaker-1',
          name: 'Ana María',
          createdAt: T0,
        });
      });

      it('returns copies', async () => {
        await store.upsertSpeaker({ id: 'speaker-1', name: 'Ana', createdAt: T0 });
        const read = await store.getSpeaker('speaker-1');
        if (read) read.name = 'changed';
        expect((await store.getSpeaker('speaker-1'))?.name).toBe('Ana');
      });
    });

    describe('api tokens', () => {
      it('creates, finds by hash and lists', async () => {
        const a = apiToken('tok-a');
        const b = apiToken('tok-b', { speakerId: 'speaker-2', createdAt: T0 + 1 });
        await store.createApiToken(a);
        await store.createApiToken(b);
        expect(await store.findApiTokenByHash(a.tokenHash)).toEqual(a);
        expect(await store.findApiTokenByHash(b.tokenHash)).toEqual(b);
        expect(await store.findApiTokenByHash('f'.repeat(64))).toBeNull();
        const listed = await store.listApiTokens();
        expect([...listed].sort((x, y) => x.id.localeCompare(y.id))).toEqual([a, b]);
      });

      it('lists nothing when there are no tokens', async () => {
        expect(await store.listApiTokens()).toEqual([]);
      });

      it('revokes once: true, then false; the revoked token is still found, with revokedAt', async () => {
        const a = apiToken('tok-a');
        const b = apiToken('tok-b');
        await store.createApiToken(a);
        await store.createApiToken(b);
        expect(await store.revokeApiToken('tok-a', T0 + 50)).toBe(true);
        expect(await store.revokeApiToken('tok-a', T0 + 60)).toBe(false);
        expect(await store.findApiTokenByHash(a.tokenHash)).toEqual({ ...a, revokedAt: T0 + 50 });
        expect(await store.findApiTokenByHash(b.tokenHash)).toEqual(b);
        const listed = await store.listApiTokens();
        expect(listed.find((t) => t.id === 'tok-a')?.revokedAt).toBe(T0 + 50);
        expect(listed.find((t) => t.id === 'tok-b')?.revokedAt).toBeNull();
      });

      it('revoking an unknown token returns false', async () => {
        expect(await store.revokeApiToken('tok-missing', T0)).toBe(false);
      });
    });

    describe('renameSpeakerIds', () => {
      it('renames speakers, session owners and token owners together, and leaves the rest', async () => {
        await store.upsertSpeaker({ id: 'jwt:u-1', name: 'Ana', createdAt: T0 });
        await store.upsertSpeaker({ id: 'token:bob', name: 'Bob', createdAt: T0 });
        await store.createSession(sessionRecord('a-a-001', { ownerId: 'jwt:u-1' }));
        await store.createSession(sessionRecord('a-a-002', { ownerId: 'jwt:u-2' }));
        await store.createSession(sessionRecord('a-a-003', { ownerId: 'token:bob' }));
        await store.createApiToken(apiToken('tok-a', { speakerId: 'jwt:u-1' }));
        const rename = (id: string) => (/^jwt:[^#]+$/.test(id) ? `jwt:https://idp#${id.slice(4)}` : null);

        expect(await store.renameSpeakerIds(rename)).toBe(2);
        expect(await store.getSpeaker('jwt:u-1')).toBeNull();
        expect(await store.getSpeaker('jwt:https://idp#u-1')).toEqual({
          id: 'jwt:https://idp#u-1',
          name: 'Ana',
          createdAt: T0,
        });
        expect((await store.getSession('a-a-001'))?.ownerId).toBe('jwt:https://idp#u-1');
        expect((await store.getSession('a-a-002'))?.ownerId).toBe('jwt:https://idp#u-2');
        expect((await store.getSession('a-a-003'))?.ownerId).toBe('token:bob');
        expect((await store.findApiTokenByHash(apiToken('tok-a').tokenHash))?.speakerId).toBe(
          'jwt:https://idp#u-1',
        );
        // Idempotent: the new ids do not match again.
        expect(await store.renameSpeakerIds(rename)).toBe(0);
      });

      it('keeps an existing speaker row under the new id', async () => {
        await store.upsertSpeaker({ id: 'jwt:u-1', name: 'Old', createdAt: T0 });
        await store.upsertSpeaker({ id: 'new:u-1', name: 'New', createdAt: T0 + 1 });
        expect(await store.renameSpeakerIds((id) => (id === 'jwt:u-1' ? 'new:u-1' : null))).toBe(1);
        expect(await store.getSpeaker('jwt:u-1')).toBeNull();
        expect((await store.getSpeaker('new:u-1'))?.name).toBe('New');
      });
    });

    describe('segments', () => {
      it('appends and lists in seq order with every field intact', async () => {
        await store.createSession(sessionRecord('brave-otter-101'));
        const s3 = transcriptSegment('brave-otter-101', 3, { text: 'third', mediaStartMs: 2500.5 });
        const s1 = transcriptSegment('brave-otter-101', 1, { text: 'first, with “quotes” and ñ' });
        const s2 = transcriptSegment('brave-otter-101', 2, { lang: 'es', kind: 'translation', segmentId: 1 });
        await store.appendSegment(s3);
        await store.appendSegment(s1);
        await store.appendSegment(s2);
        expect(await store.listSegments('brave-otter-101')).toEqual([s1, s2, s3]);
      });

      it('filters by language and kind', async () => {
        await store.createSession(sessionRecord('brave-otter-101'));
        const src1 = transcriptSegment('brave-otter-101', 1, { segmentId: 1 });
        const es1 = transcriptSegment('brave-otter-101', 2, {
          segmentId: 1,
          lang: 'es',
          kind: 'translation',
        });
        const fr1 = transcriptSegment('brave-otter-101', 3, {
          segmentId: 1,
          lang: 'fr',
          kind: 'translation',
        });
        const src2 = transcriptSegment('brave-otter-101', 4, { segmentId: 2 });
        const es2 = transcriptSegment('brave-otter-101', 5, {
          segmentId: 2,
          lang: 'es',
          kind: 'translation',
        });
        for (const s of [es2, src1, fr1, src2, es1]) await store.appendSegment(s);

        expect(await store.listSegments('brave-otter-101', { lang: 'es' })).toEqual([es1, es2]);
        expect(await store.listSegments('brave-otter-101', { kind: 'source' })).toEqual([src1, src2]);
        expect(await store.listSegments('brave-otter-101', { kind: 'translation' })).toEqual([es1, fr1, es2]);
        expect(await store.listSegments('brave-otter-101', { lang: 'fr', kind: 'translation' })).toEqual([
          fr1,
        ]);
        expect(await store.listSegments('brave-otter-101', { lang: 'en', kind: 'translation' })).toEqual([]);
        expect(await store.listSegments('brave-otter-101', {})).toEqual([src1, es1, fr1, src2, es2]);
      });

      it('lists only the last N matching segments, in seq order', async () => {
        await store.createSession(sessionRecord('brave-otter-101'));
        const all = [1, 2, 3, 4, 5].map((seq) =>
          transcriptSegment('brave-otter-101', seq, seq % 2 ? {} : { lang: 'es', kind: 'translation' }),
        );
        for (const s of [...all].reverse()) await store.appendSegment(s);
        expect(await store.listSegments('brave-otter-101', { last: 2 })).toEqual([all[3], all[4]]);
        expect(await store.listSegments('brave-otter-101', { last: 2, kind: 'source' })).toEqual([
          all[2],
          all[4],
        ]);
        expect(await store.listSegments('brave-otter-101', { last: 10 })).toEqual(all);
        expect(await store.listSegments('brave-otter-101', { last: 0 })).toEqual([]);
      });

      it('keeps sessions apart', async () => {
        await store.createSession(sessionRecord('brave-otter-101'));
        await store.createSession(sessionRecord('calm-heron-102'));
        const a = transcriptSegment('brave-otter-101', 1);
        const b = transcriptSegment('calm-heron-102', 1, { text: 'other' });
        await store.appendSegment(a);
        await store.appendSegment(b);
        expect(await store.listSegments('brave-otter-101')).toEqual([a]);
        expect(await store.listSegments('calm-heron-102')).toEqual([b]);
        expect(await store.listSegments('missing-session-000')).toEqual([]);
      });

      it('returns copies', async () => {
        await store.createSession(sessionRecord('brave-otter-101'));
        const seg = transcriptSegment('brave-otter-101', 1);
        await store.appendSegment(seg);
        seg.text = 'changed after append';
        const [read] = await store.listSegments('brave-otter-101');
        expect(read?.text).toBe('sentence 1');
        if (read) read.text = 'changed after read';
        expect((await store.listSegments('brave-otter-101'))[0]?.text).toBe('sentence 1');
      });

      it('lastNumbers: zeros when empty, else the highest seq and segment id of that session', async () => {
        await store.createSession(sessionRecord('brave-otter-101'));
        await store.createSession(sessionRecord('calm-heron-102'));
        expect(await store.lastNumbers('brave-otter-101')).toEqual({ seq: 0, segmentId: 0 });
        expect(await store.lastNumbers('missing-session-000')).toEqual({ seq: 0, segmentId: 0 });
        // The highest seq and the highest segment id come from different rows: both maxima count.
        await store.appendSegment(transcriptSegment('brave-otter-101', 7, { segmentId: 3 }));
        await store.appendSegment(transcriptSegment('brave-otter-101', 9, { segmentId: 2 }));
        await store.appendSegment(transcriptSegment('brave-otter-101', 8, { segmentId: 4 }));
        await store.appendSegment(transcriptSegment('calm-heron-102', 50, { segmentId: 40 }));
        expect(await store.lastNumbers('brave-otter-101')).toEqual({ seq: 9, segmentId: 4 });
        expect(await store.lastNumbers('calm-heron-102')).toEqual({ seq: 50, segmentId: 40 });
      });
    });

    describe('purgeOlderThan', () => {
      const cutoff = T0 + 100 * HOUR;

      async function seed(id: string, record: Partial<SessionRecord>, segments: number): Promise<void> {
        await store.createSession(sessionRecord(id, record));
        for (let seq = 1; seq <= segments; seq++) await store.appendSegment(transcriptSegment(id, seq));
      }

      it('removes ended sessions older than the cutoff with their segments, and nothing else', async () => {
        await seed('old-ended-001', { state: 'ended', updatedAt: cutoff - HOUR, endedAt: cutoff - HOUR }, 3);
        await seed(
          'old-ended-002',
          { state: 'ended', updatedAt: cutoff - 2 * HOUR, endedAt: cutoff - 2 * HOUR },
          2,
        );
        await seed('new-ended-003', { state: 'ended', updatedAt: cutoff + HOUR, endedAt: cutoff + HOUR }, 4);
        await seed('old-live-004', { state: 'live', updatedAt: cutoff - 50 * HOUR }, 5);
        await seed('old-paused-005', { state: 'paused', updatedAt: cutoff - 50 * HOUR }, 1);
        await seed('old-created-006', { state: 'created', updatedAt: cutoff - 50 * HOUR }, 0);
        await store.upsertSpeaker({ id: 'speaker-1', name: 'Ana', createdAt: T0 });
        await store.createApiToken(apiToken('tok-a'));

        expect(await store.purgeOlderThan(cutoff)).toEqual({ sessions: 2, segments: 5 });

        expect(await store.getSession('old-ended-001')).toBeNull();
        expect(await store.getSession('old-ended-002')).toBeNull();
        expect(await store.listSegments('old-ended-001')).toEqual([]);
        expect(await store.listSegments('old-ended-002')).toEqual([]);
        expect(await store.lastNumbers('old-ended-001')).toEqual({ seq: 0, segmentId: 0 });
        expect((await store.listSessions()).map((s) => s.id).sort()).toEqual([
          'new-ended-003',
          'old-created-006',
          'old-live-004',
          'old-paused-005',
        ]);
        expect(await store.listSegments('new-ended-003')).toHaveLength(4);
        expect(await store.listSegments('old-live-004')).toHaveLength(5);
        expect(await store.listSegments('old-paused-005')).toHaveLength(1);
        // Speakers and tokens are not transcripts.
        expect(await store.getSpeaker('speaker-1')).not.toBeNull();
        expect(await store.listApiTokens()).toHaveLength(1);

        expect(await store.purgeOlderThan(cutoff)).toEqual({ sessions: 0, segments: 0 });
      });

      it('keeps a session that ended exactly at the cutoff', async () => {
        await seed('edge-ended-001', { state: 'ended', updatedAt: cutoff, endedAt: cutoff }, 2);
        expect(await store.purgeOlderThan(cutoff)).toEqual({ sessions: 0, segments: 0 });
        expect(await store.purgeOlderThan(cutoff + 1)).toEqual({ sessions: 1, segments: 2 });
      });

      it('uses updatedAt when an ended session has no endedAt', async () => {
        await seed('no-endedat-001', { state: 'ended', updatedAt: cutoff - HOUR, endedAt: null }, 2);
        await seed('no-endedat-002', { state: 'ended', updatedAt: cutoff + HOUR, endedAt: null }, 1);
        expect(await store.purgeOlderThan(cutoff)).toEqual({ sessions: 1, segments: 2 });
        expect(await store.getSession('no-endedat-002')).not.toBeNull();
      });

      it('purges a session ended through updateSessionState', async () => {
        await seed('ended-later-001', { state: 'live' }, 3);
        await store.updateSessionState('ended-later-001', 'ended', cutoff - 1);
        expect(await store.purgeOlderThan(cutoff)).toEqual({ sessions: 1, segments: 3 });
      });

      it('returns zeros on an empty store', async () => {
        expect(await store.purgeOlderThan(cutoff)).toEqual({ sessions: 0, segments: 0 });
      });
    });

    describe('close', () => {
      it('resolves, and a second close is safe', async () => {
        await store.createSession(sessionRecord('brave-otter-101'));
        await expect(store.close()).resolves.toBeUndefined();
        await expect(store.close()).resolves.toBeUndefined();
      });
    });
  });
}
