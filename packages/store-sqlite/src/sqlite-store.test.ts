import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStoreConformance, sessionRecord, transcriptSegment } from '@babelcast/core/testing';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, SchemaVersionError } from './migrations.ts';
import { SqliteStore } from './sqlite-store.ts';

const dirs: string[] = [];
function tempPath(name = 'babelcast.db'): string {
  const dir = mkdtempSync(join(tmpdir(), 'babelcast-store-'));
  dirs.push(dir);
  return join(dir, name);
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const HOUR = 3_600_000;
const NOW = Date.UTC(2025, 5, 1, 12);

describeStoreConformance(
  'sqlite (file)',
  async () => SqliteStore.open({ path: tempPath() }),
  () => {
    const path = tempPath();
    return async () => SqliteStore.open({ path });
  },
);
describeStoreConformance('sqlite (:memory:)', async () => SqliteStore.open({ path: ':memory:' }));

describe('SqliteStore', () => {
  it('creates the parent directory and uses WAL with a busy timeout', async () => {
    const path = join(tempPath(), '..', 'nested', 'deeper', 'babelcast.db');
    const store = SqliteStore.open({ path });
    await store.createSession(sessionRecord('brave-otter-101'));
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('schema_version', { simple: true })).toBeGreaterThan(0);
    const versions = raw.prepare('SELECT version FROM schema_version').pluck().all();
    expect(versions).toEqual(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
    const indexes = raw.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'segments'",
    );
    expect(indexes.pluck().all()).toEqual(
      expect.arrayContaining(['segments_session_seq', 'segments_session_lang']),
    );
    raw.close();
    await store.close();
  });

  it('migrates once, however often it is opened', async () => {
    const path = tempPath();
    const first = SqliteStore.open({ path });
    await first.createSession(sessionRecord('brave-otter-101'));
    await first.close();
    await SqliteStore.open({ path }).close();

    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT COUNT(*) FROM schema_version').pluck().get()).toBe(LATEST_SCHEMA_VERSION);
    raw.close();
  });

  it('refuses a database written by a newer schema version, without touching it', async () => {
    const path = tempPath();
    await SqliteStore.open({ path }).close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(99, NOW);
    raw.close();

    expect(() => SqliteStore.open({ path })).toThrow(SchemaVersionError);
    expect(() => SqliteStore.open({ path })).toThrow(
      new RegExp(`schema version 99.*supports up to version ${LATEST_SCHEMA_VERSION}.*newer release`),
    );
    const after = new Database(path, { readonly: true });
    expect(after.prepare('SELECT MAX(version) FROM schema_version').pluck().get()).toBe(99);
    after.close();
  });

  it('migrates a version 1 database: old sessions (and old-style ids) load with the new fields empty', async () => {
    const path = tempPath();
    const raw = new Database(path);
    raw.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    raw.exec(MIGRATIONS[0]!.sql);
    raw.prepare('INSERT INTO schema_version VALUES (1, ?)').run(NOW);
    raw
      .prepare(
        `INSERT INTO sessions (id, title, source_language, state, owner_id, created_at, updated_at, ended_at)
         VALUES ('faithful-angel-590', 'Old', 'en', 'paused', 'jwt:u-1', ?, ?, NULL)`,
      )
      .run(NOW, NOW);
    raw.close();

    const store = SqliteStore.open({ path });
    expect(await store.getSession('faithful-angel-590')).toEqual({
      ...sessionRecord('faithful-angel-590', {
        title: 'Old',
        state: 'paused',
        ownerId: 'jwt:u-1',
        createdAt: NOW,
        updatedAt: NOW,
      }),
      targetLanguages: null,
      pauseReason: null,
      lastAudioSeq: null,
    });
    await store.updateSessionState('faithful-angel-590', 'paused', NOW + 1, { pauseReason: 'shutdown' });
    expect((await store.getSession('faithful-angel-590'))?.pauseReason).toBe('shutdown');
    await store.close();
  });

  it('stores a duplicate session id as an error, not a silent overwrite', async () => {
    const store = SqliteStore.open({ path: ':memory:' });
    await store.createSession(sessionRecord('brave-otter-101'));
    await expect(store.createSession(sessionRecord('brave-otter-101'))).rejects.toThrow(/UNIQUE/);
    await store.close();
  });

  it('rejects calls after close', async () => {
    const store = SqliteStore.open({ path: ':memory:' });
    await store.close();
    await expect(store.getSession('brave-otter-101')).rejects.toThrow(/not open/);
  });
});

describe('SqliteStore retention on a realistic dataset', () => {
  const LANGS = ['en', 'es', 'fr', 'de'];

  /**
   * Thirty days of a small venue: two services a day, a few still running, each with a source
   * transcript and three translations. Returns what a 24-hour purge must remove.
   */
  async function seed(store: SqliteStore): Promise<{ sessions: Set<string>; segments: number }> {
    const expired = { sessions: new Set<string>(), segments: 0 };
    let n = 0;
    for (let day = 30; day >= 0; day--) {
      for (const hour of [9, 18]) {
        n++;
        const id = `day-service-${String(n).padStart(3, '0')}`;
        const createdAt = NOW - day * 24 * HOUR - (24 - hour) * HOUR;
        const endedAt = createdAt + 2 * HOUR;
        const live = day === 0 || n % 17 === 0; // today's, and a few left running for weeks
        await store.createSession(
          sessionRecord(id, {
            createdAt,
            updatedAt: live ? createdAt : endedAt,
            state: live ? 'live' : 'ended',
            endedAt: live ? null : endedAt,
          }),
        );
        const sentences = 40 + (n % 7) * 10;
        let seq = 0;
        for (let segmentId = 1; segmentId <= sentences; segmentId++) {
          for (const lang of LANGS) {
            seq++;
            await store.appendSegment(
              transcriptSegment(id, seq, {
                segmentId,
                lang,
                kind: lang === 'en' ? 'source' : 'translation',
                text: `secret-${id}-${seq} and some words of a sentence`,
                createdAt: createdAt + seq * 1000,
              }),
            );
          }
        }
        if (!live && endedAt < NOW - 24 * HOUR) {
          expired.sessions.add(id);
          expired.segments += seq;
        }
      }
    }
    return expired;
  }

  it('removes exactly the ended sessions older than the cutoff, with their segments', async () => {
    const path = tempPath();
    const seeding = SqliteStore.open({ path });
    const expired = await seed(seeding);
    // Closing checkpoints the WAL: the transcripts are now in the main file, as after days of running.
    await seeding.close();
    const store = SqliteStore.open({ path });
    const before = await store.listSessions();
    expect(expired.sessions.size).toBeGreaterThan(40);

    const purged = await store.purgeOlderThan(NOW - 24 * HOUR);
    expect(purged).toEqual({ sessions: expired.sessions.size, segments: expired.segments });

    const after = await store.listSessions();
    expect(after.map((s) => s.id).sort()).toEqual(
      before
        .map((s) => s.id)
        .filter((id) => !expired.sessions.has(id))
        .sort(),
    );
    for (const s of before) {
      const segments = await store.listSegments(s.id);
      if (expired.sessions.has(s.id)) expect(segments).toEqual([]);
      else expect(segments.length).toBeGreaterThan(0);
    }
    expect(after.some((s) => s.state === 'live' && s.createdAt < NOW - 20 * 24 * HOUR)).toBe(true);
    expect(await store.purgeOlderThan(NOW - 24 * HOUR)).toEqual({ sessions: 0, segments: 0 });
    await store.close();

    // The purged text is overwritten on disk, not only unlinked.
    const file = readFileSync(path);
    const expiredId = [...expired.sessions][0];
    expect(file.includes(`secret-${expiredId}-1 `)).toBe(false);
    expect(file.includes(`secret-${after[0]?.id}-1 `)).toBe(true);
  });

  it('yields to the event loop while purging a long transcript, and close stops it', async () => {
    const store = SqliteStore.open({ path: tempPath() });
    await store.createSession(
      sessionRecord('long-meeting-001', { state: 'ended', endedAt: NOW - 48 * HOUR }),
    );
    await store.createSession(
      sessionRecord('other-meeting-002', { state: 'ended', endedAt: NOW - 48 * HOUR }),
    );
    for (const id of ['long-meeting-001', 'other-meeting-002']) {
      for (let seq = 1; seq <= 5000; seq++) await store.appendSegment(transcriptSegment(id, seq));
    }
    let ticked = false;
    setImmediate(() => {
      ticked = true;
    });
    const purge = store.purgeOlderThan(NOW);
    // Live writes get through between batches.
    await store.createSession(sessionRecord('live-meeting-003', { state: 'live' }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ticked).toBe(true);
    await store.close();
    const partial = await purge;
    expect(partial.segments).toBeGreaterThan(0);
    expect(partial.segments).toBeLessThan(10_000);
  });

  it('serialises concurrent purges', async () => {
    const store = SqliteStore.open({ path: ':memory:' });
    for (const id of ['a-a-001', 'a-a-002']) {
      await store.createSession(sessionRecord(id, { state: 'ended', endedAt: NOW - 48 * HOUR }));
      for (let seq = 1; seq <= 2500; seq++) await store.appendSegment(transcriptSegment(id, seq));
    }
    const results = await Promise.all([store.purgeOlderThan(NOW), store.purgeOlderThan(NOW)]);
    expect(results).toEqual([
      { sessions: 2, segments: 5000 },
      { sessions: 0, segments: 0 },
    ]);
    await store.close();
  });
});
