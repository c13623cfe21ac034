/**
 * Privacy (issue 10, part B.1), against the real server on a random port: /metrics names no
 * session and is protected, session ids cannot be enumerated, anonymous callers learn only what a
 * listener needs, and anonymous replay is bounded to the recent window.
 */
import { generateSessionId, InMemoryBus, MemoryStore, SESSION_ID_BITS, subjects } from '@babelcast/core';
import { sessionRecord } from '@babelcast/core/testing';
import { type CaptionEvent, CloseCode, ErrorCode, PROTOCOL_VERSION, sessionId } from '@babelcast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './test-server.ts';
import { connectListener, connectSpeaker, createSession, TestClient } from './ws-client.ts';

let server: RunningServer;
let token: string;
const bus = new InMemoryBus();
const store = new MemoryStore();
const METRICS_TOKEN = 'metrics-token-0123456789';

beforeAll(async () => {
  // An id in the old short form, as stores from before the hardening hold.
  await store.createSession(sessionRecord('faithful-angel-590', { ownerId: 'token:legacy', title: 'Old' }));
  server = await startTestServer({
    store,
    bus,
    limits: { anonymousReplayMaxEvents: 3, anonymousReplayWindowMs: 60_000, joinReplay: 20 },
  });
  token = await server.createApiToken('alice');
});
afterAll(async () => {
  await server?.close();
});

const wsUrl = () => server.url.replace(/^http/, 'ws');

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(server.url + path, { headers });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

/** Publishes finished captions on the session's output, as its pipeline would. */
function publishFinals(id: string, count: number, emittedAt: number, firstSeq: number): void {
  for (let i = 0; i < count; i++) {
    const event: CaptionEvent = {
      type: 'caption',
      kind: 'final',
      seq: firstSeq + i,
      segmentId: firstSeq + i,
      lang: 'en',
      text: `sentence ${firstSeq + i}`,
      mediaStartMs: 0,
      mediaEndMs: 1,
      emittedAt,
    };
    bus.publish(subjects.output(id), { type: 'caption', event });
  }
}

describe('/metrics', () => {
  it('carries no session id, with a live session, listeners and speaker levels', async () => {
    const id = await createSession(server.url, token);
    const listener = await connectListener(server.url, id, 'es');
    const speaker = await connectSpeaker(server.url, id, token);
    await speaker.until(() => speaker.messages('ready').length === 1, 'ready');
    speaker.send({ type: 'inputStats', rmsDbfs: -20, peakDbfs: -2, snrDb: 30, clipping: false });
    speaker.send({ type: 'ping', t: 1 });
    await speaker.until(() => speaker.messages('pong').length === 1, 'pong');
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/babelcast_speaker_input_level_dbfs_count\{measure="rms"\} [1-9]/);
    expect(metrics.text).toMatch(/babelcast_listeners\{lang="es"\} 1/);
    expect(metrics.text).not.toContain(id);
    expect(metrics.text).not.toMatch(/session="/);
    listener.close();
    speaker.close();
  });

  it('answers only this machine without a token: a proxied request is refused', async () => {
    const proxied = await get('/metrics', { 'x-forwarded-for': '203.0.113.9' });
    expect(proxied.status).toBe(403);
    expect(proxied.json().error.code).toBe(ErrorCode.FORBIDDEN);
  });

  it('with metrics.token, needs it (from anywhere); per-session labels only when opted in', async () => {
    const other = await startTestServer({
      metrics: { token: METRICS_TOKEN, sessionLabels: true },
    });
    try {
      expect((await fetch(`${other.url}/metrics`)).status).toBe(401);
      const wrong = await fetch(`${other.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const t = await other.createApiToken('bob');
      const id = await createSession(other.url, t);
      const speaker = await connectSpeaker(other.url, id, t);
      await speaker.until(() => speaker.messages('ready').length === 1, 'ready');
      speaker.send({ type: 'inputStats', rmsDbfs: -20, peakDbfs: -2, snrDb: 30, clipping: false });
      speaker.send({ type: 'ping', t: 1 });
      await speaker.until(() => speaker.messages('pong').length === 1, 'pong');
      const ok = await fetch(`${other.url}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}`, 'x-forwarded-for': '203.0.113.9' },
      });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain(
        `babelcast_speaker_input_level_by_session_dbfs{session="${id}",measure="snr"} 30`,
      );
      speaker.close();
    } finally {
      await other.close();
    }
  });
});

describe('session ids', () => {
  it('have at least 40 bits of entropy and stay readable', () => {
    expect(SESSION_ID_BITS).toBeGreaterThanOrEqual(40);
    const ids = new Set(Array.from({ length: 2000 }, () => generateSessionId()));
    expect(ids.size).toBe(2000);
    for (const id of ids) {
      expect(id).toMatch(/^[a-z]+-[a-z]+-\d{3}-\d{3}-\d{3}$/);
      expect(sessionId.safeParse(id).success).toBe(true);
    }
    expect(sessionId.safeParse('faithful-angel-590').success).toBe(true);
    expect(sessionId.safeParse('faithful-angel-590-1').success).toBe(false);
  });

  it('a session with an old-form id still loads: status, join and listen', async () => {
    const info = await get('/api/sessions/faithful-angel-590');
    expect(info.status).toBe(200);
    expect(info.json().title).toBe('Old');
    const l = await connectListener(server.url, 'faithful-angel-590', 'fr');
    expect(l.messages('welcome')[0]!.session).toMatchObject({ id: 'faithful-angel-590' });
    l.close();
    expect((await get('/join/faithful-angel-590')).status).not.toBe(404);
  });

  it('a malformed id is a validation error, not a lookup', async () => {
    const res = await get('/api/sessions/..%2F..%2Fetc');
    expect(res.status).toBe(400);
    expect(res.json().error.code).toBe(ErrorCode.VALIDATION);
  });
});

describe('GET /api/sessions/:id', () => {
  it('tells anonymous callers and other speakers what a listener needs; the owner everything', async () => {
    const id = await createSession(server.url, token);
    const listener = await connectListener(server.url, id, 'es');
    const anonymous = (await get(`/api/sessions/${id}`)).json();
    expect(Object.keys(anonymous).sort()).toEqual([
      'id',
      'joinUrl',
      'sourceLanguage',
      'state',
      'targetLanguages',
      'title',
    ]);
    expect(anonymous.targetLanguages).toEqual(expect.arrayContaining(['en', 'es', 'fr']));
    const bob = await server.createApiToken('bob-other');
    const other = (await get(`/api/sessions/${id}`, { authorization: `Bearer ${bob}` })).json();
    expect(other).toEqual(anonymous);
    const owner = (await get(`/api/sessions/${id}`, { authorization: `Bearer ${token}` })).json();
    expect(owner).toMatchObject({ ...anonymous, listeners: { es: 1 } });
    expect(owner.createdAt).toEqual(expect.any(String));
    // The listener's welcome is the public view too.
    expect(Object.keys(listener.messages('welcome')[0]!.session as object).sort()).toEqual(
      Object.keys(anonymous).sort(),
    );
    // The transcript is the owner's.
    expect((await get(`/api/sessions/${id}/transcript`)).status).toBe(401);
    listener.close();
  });
});

describe('replay to anonymous listeners', () => {
  it('is bounded to the recent window; the owner gets the whole history', async () => {
    const id = await createSession(server.url, token);
    // The hub exists once the session is loaded; old captions (an hour ago), then recent ones.
    await server.sessions.require(id);
    publishFinals(id, 10, Date.now() - 3_600_000, 1);
    publishFinals(id, 5, Date.now(), 11);

    const anon = new TestClient(`${wsUrl()}/ws/listener?session=${id}&targetLanguage=es&since=0`);
    await anon.until(() => anon.messages('welcome').length === 1, 'welcome');
    await new Promise((r) => setTimeout(r, 200));
    const replayed = anon.messages('caption').map((c) => c.seq as number);
    expect(replayed).toEqual([13, 14, 15]);
    // Asking again for everything gives no more.
    anon.send({ type: 'replay', since: -1 });
    anon.send({ type: 'ping', t: 1 });
    await anon.until(() => anon.messages('pong').length === 1, 'pong');
    expect(anon.messages('caption').every((c) => (c.seq as number) >= 13)).toBe(true);

    const owner = new TestClient(`${wsUrl()}/ws/listener?session=${id}&targetLanguage=es&since=0`, {
      authorization: `Bearer ${token}`,
    });
    await owner.until(() => owner.messages('caption').length === 15, 'the whole history');
    expect(owner.messages('welcome')[0]!.session).toHaveProperty('listeners');
    anon.close();
    owner.close();
  });

  it('an owner who identifies by hello gets the whole history on the next replay', async () => {
    const id = await createSession(server.url, token);
    await server.sessions.require(id);
    publishFinals(id, 6, Date.now(), 1);
    const l = new TestClient(`${wsUrl()}/ws/listener?session=${id}&targetLanguage=es&since=0`);
    await l.until(() => l.messages('caption').length === 3, 'three');
    l.send({ type: 'hello', protocol: PROTOCOL_VERSION, token });
    l.send({ type: 'replay', since: 0 });
    await l.until(() => l.messages('caption').length === 9, 'three, then all six');
    expect(l.received.closed).toBeNull();
    l.close();
  });

  it('an unknown session is still 4404 for listeners', async () => {
    const l = new TestClient(`${wsUrl()}/ws/listener?session=lost-ocean-123-456-789&targetLanguage=es`);
    expect((await l.closedWith()).code).toBe(CloseCode.SESSION_NOT_FOUND);
  });
});
