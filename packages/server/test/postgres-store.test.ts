/**
 * The server on the PostgreSQL store (this machine's server, database `test`, a schema of its own
 * dropped at the end), with fake engines: a session and its transcript survive a restart, retention
 * runs, and an unreachable server stops the start with a message naming host:port.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionRecord, transcriptSegment } from '@babelcast/core/testing';
import { PostgresStore } from '@babelcast/store-postgres';
import { dropSchemas, TEST_POSTGRES_URL, testSchemaName } from '@babelcast/store-postgres/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { sendClip, startTestServer } from './test-server.ts';
import { connectListener, connectSpeaker, createSession } from './ws-client.ts';

const HOUR = 3_600_000;
const schema = testSchemaName('bc_e2e');
afterAll(() => dropSchemas([schema]));

/** BABELCAST_POSTGRES_URL selects the store; the schema comes from the `store` config section. */
const start = (dataDir: string) =>
  startTestServer({
    dataDir,
    env: { BABELCAST_POSTGRES_URL: TEST_POSTGRES_URL },
    store: { postgresSchema: schema },
  });

describe('server on PostgreSQL', () => {
  it('keeps a session and its transcript across a restart; retention runs; no SQLite file', async () => {
    // An ended session past retention (24 h by default), left by an earlier run.
    const seed = await PostgresStore.open({ url: TEST_POSTGRES_URL, schema, poolSize: 1 });
    await seed.createSession(
      sessionRecord('old-ended-001', { state: 'ended', endedAt: Date.now() - 48 * HOUR }),
    );
    await seed.appendSegment(transcriptSegment('old-ended-001', 1));
    await seed.close();

    const dataDir = mkdtempSync(join(tmpdir(), 'babelcast-pg-'));
    let server = await start(dataDir);
    expect(server.config.store).toMatchObject({ kind: 'postgres', postgresSchema: schema });
    expect(server.store).toBeInstanceOf(PostgresStore);
    await expect.poll(() => server.store.getSession('old-ended-001')).toBeNull();

    const token = await server.createApiToken('alice');
    const id = await createSession(server.url, token);
    const listener = await connectListener(server.url, id, 'es');
    const speaker = await connectSpeaker(server.url, id, token);
    await speaker.until(() => speaker.messages('ready').length === 1, 'ready');
    // A short clip and a second of silence: one finished sentence, translated.
    sendClip(speaker, 'ljspeech-03.wav');
    await listener.until(
      () => listener.messages('caption').some((c) => c.kind === 'translation'),
      'a translation',
    );
    const translated = listener.messages('caption').find((c) => c.kind === 'translation')?.text as string;
    expect(translated).toMatch(/^\[es\] /);
    await server.close();
    expect(existsSync(join(dataDir, 'babelcast.db'))).toBe(false);

    server = await start(dataDir);
    try {
      const info = (await (await fetch(`${server.url}/api/sessions/${id}`)).json()) as { state: string };
      expect(info.state).toBe('paused');
      const transcript = async (lang: string) => {
        const res = await fetch(`${server.url}/api/sessions/${id}/transcript?format=json&lang=${lang}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.status).toBe(200);
        return ((await res.json()) as { text: string }[]).map((s) => s.text);
      };
      const source = await transcript('en');
      const translation = await transcript('es');
      expect(source.join(' ')).toMatch(/alpha bravo/i);
      expect(translation.join(' ')).toContain(translated.slice('[es] '.length));
      // Read straight from PostgreSQL: that is where they are.
      const direct = await PostgresStore.open({ url: TEST_POSTGRES_URL, schema, poolSize: 1 });
      expect((await direct.listSegments(id, { lang: 'es' })).map((s) => s.text)).toEqual(translation);
      expect((await direct.getSession(id))?.ownerId).toBe('token:alice');
      await direct.close();
      // The token was stored in PostgreSQL too, and the session is listed for its owner.
      const listed = await fetch(`${server.url}/api/sessions`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(JSON.stringify(await listed.json())).toContain(id);
      // A new listener is replayed the history from the store.
      const late = await connectListener(server.url, id, 'es');
      await late.until(
        () =>
          late
            .messages('caption')
            .some(
              (c) => c.replay === true && c.kind === 'translation' && translation.includes(c.text as string),
            ),
        'the translation replayed after the restart',
      );
      late.close();
    } finally {
      await server.close();
    }
  }, 60_000);

  it('stops at start with a message naming host:port, never the password, when PostgreSQL is unreachable', async () => {
    const attempt = startTestServer({
      dataDir: mkdtempSync(join(tmpdir(), 'babelcast-pg-')),
      env: { BABELCAST_POSTGRES_URL: 'postgres://babel:s3cret-pw@127.0.0.1:1/babelcast' },
    });
    const err = (await attempt.catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/PostgreSQL at 127\.0\.0\.1:1 is unreachable/);
    expect(err.message).toMatch(/Check that PostgreSQL is running/);
    expect(err.message).not.toContain('s3cret-pw');
  });
});

describe('store config', () => {
  it('defaults to SQLite; BABELCAST_POSTGRES_URL selects PostgreSQL; a missing or bad URL is named, not echoed', () => {
    expect(loadConfig({ env: {} }).store).toEqual({ kind: 'sqlite', postgresPoolSize: 10 });
    expect(loadConfig({ env: { BABELCAST_POSTGRES_URL: 'postgres://db:5432/bc' } }).store).toEqual({
      kind: 'postgres',
      postgresUrl: 'postgres://db:5432/bc',
      postgresPoolSize: 10,
    });
    expect(() => loadConfig({ env: {}, overrides: { store: { kind: 'postgres' } } })).toThrow(
      /store\.postgresUrl: required with kind "postgres"/,
    );
    expect(() => loadConfig({ env: { BABELCAST_POSTGRES_URL: 'mysql://u:hunter22@db/bc' } })).toThrow(
      /store\.postgresUrl: a postgres:\/\/ or postgresql:\/\/ URL/,
    );
    try {
      loadConfig({ env: { BABELCAST_POSTGRES_URL: 'mysql://u:hunter22@db/bc' } });
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter22');
    }
    expect(() =>
      loadConfig({
        env: {},
        overrides: { store: { kind: 'postgres', postgresUrl: 'postgres://db/bc', postgresSchema: 'a-b' } },
      }),
    ).toThrow(/store\.postgresSchema/);
  });
});
