/**
 * End to end against the real server on a random port, real WebSockets, a real speech clip and
 * fake engines (deterministic text; the real-engine version lives in the embedded engines test).
 */
import { readWavFile } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import {
  CloseCode,
  encodeSpeakerAudioFrame,
  ErrorCode,
  PROTOCOL_VERSION,
  SPEAKER_AUDIO_MAX_FRAME_BYTES,
} from '@babelcast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './test-server.ts';
import { TestClient } from './ws-client.ts';

let server: RunningServer;
let token: string;
let wsUrl: string;

beforeAll(async () => {
  server = await startTestServer({
    limits: { helloTimeoutMs: 2000 },
    // The audio below goes in faster than real time; in simultaneous mode the voice would rightly
    // skip ahead of such a burst. Sentence mode keeps one translation and one voice per sentence,
    // which is what these wiring checks count. Simultaneous mode end to end: cli/test/replay.test.ts
    // (fake engines, real time) and embedded-e2e.test.ts.
    pipeline: { mode: 'sentence' },
  });
  token = await server.createApiToken('alice');
  wsUrl = server.url.replace(/^http/, 'ws');
});
afterAll(async () => {
  await server?.close();
});

async function api(path: string, init: RequestInit & { token?: string } = {}) {
  const headers: Record<string, string> = init.body ? { 'content-type': 'application/json' } : {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(server.url + path, { ...init, headers });
  // biome-ignore lint/suspicious/noExplicitAny: response shapes vary per endpoint; tests read fields directly
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function createSession(asToken = token, sourceLanguage = 'en') {
  const res = await api('/api/sessions', {
    method: 'POST',
    token: asToken,
    body: JSON.stringify({ sourceLanguage, title: 'Town hall' }),
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; joinUrl: string; targetLanguages: string[] };
}

/** `asToken: null` connects without any credential. */
async function speaker(sessionId: string, asToken: string | null = token) {
  const c = new TestClient(`${wsUrl}/ws/speaker?session=${sessionId}`);
  await c.opened;
  c.send(
    asToken === null
      ? { type: 'hello', protocol: PROTOCOL_VERSION }
      : { type: 'hello', protocol: PROTOCOL_VERSION, token: asToken },
  );
  return c;
}

function frames(file: string, frameMs = 200) {
  const { samples } = readWavFile(speechClip(file));
  const n = (16000 * frameMs) / 1000;
  const out: Int16Array[] = [];
  for (let at = 0; at < samples.length; at += n) out.push(samples.slice(at, at + n));
  for (let i = 0; i < 5; i++) out.push(new Int16Array(n)); // a pause after speaking
  return out;
}

describe('a live session end to end (fake engines, real clip)', () => {
  it('delivers ordered captions and audio to two listeners in two languages', async () => {
    const session = await createSession();
    expect(session.id).toMatch(/^[a-z]+-[a-z]+-\d{3}-\d{3}-\d{3}$/);
    expect(session.joinUrl).toBe(`${server.url}/join/${session.id}`);
    expect(session.targetLanguages).toEqual(expect.arrayContaining(['en', 'es', 'fr']));

    const es = new TestClient(`${wsUrl}/ws/listener?session=${session.id}&targetLanguage=es`);
    const fr = new TestClient(`${wsUrl}/ws/listener?session=${session.id}&targetLanguage=fr`);
    await es.until(() => es.messages('welcome').length === 1, 'es welcome');
    await fr.until(() => fr.messages('welcome').length === 1, 'fr welcome');

    const sp = await speaker(session.id);
    await sp.until(() => sp.messages('ready').length === 1, 'ready');
    expect(sp.messages('ready')[0]!.lastSeq).toBeNull();
    await sp.until(
      () =>
        sp
          .messages('listeners')
          .some(
            (m) =>
              (m.counts as Record<string, number>).es === 1 && (m.counts as Record<string, number>).fr === 1,
          ),
      'listener counts on the speaker',
    );

    const all = frames('long-en-01.wav');
    for (const [i, samples] of all.entries()) {
      sp.send(encodeSpeakerAudioFrame({ seq: i + 1, captureTimeMs: Date.now(), samples }));
    }
    await sp.until(() => sp.messages('ack').some((a) => a.seq === all.length), 'all frames acknowledged');

    for (const [client, lang] of [
      [es, 'es'],
      [fr, 'fr'],
    ] as const) {
      await client.until(() => {
        const finals = client.messages('caption').filter((c) => c.kind === 'final');
        const tr = client.messages('caption').filter((c) => c.kind === 'translation');
        return (
          finals.length >= 3 &&
          tr.length === finals.length &&
          client.received.audio.some((a) => a.segmentId === tr.at(-1)!.segmentId && (a.flags & 2) !== 0)
        );
      }, `${lang} translations and audio`);
      const captions = client.messages('caption');
      const seqs = captions.map((c) => c.seq as number);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const finals = captions.filter((c) => c.kind === 'final');
      const translations = captions.filter((c) => c.kind === 'translation');
      expect(translations.every((t) => t.lang === lang)).toBe(true);
      expect(translations.map((t) => t.text)).toEqual(finals.map((f) => `[${lang}] ${f.text}`));
      expect(captions.some((c) => c.kind === 'partial')).toBe(true);
      // Audio only in this listener's language, one sequence of packets per sentence.
      expect(client.received.audio.every((a) => a.language === lang)).toBe(true);
      for (const t of translations) {
        const packets = client.received.audio.filter((a) => a.segmentId === t.segmentId);
        expect(packets.map((p) => p.packetIndex)).toEqual(packets.map((_, i) => i));
        expect(packets.at(-1)!.flags & 2).toBe(2);
      }
    }
    const status = await api(`/api/sessions/${session.id}`, { token });
    expect(status.body.state).toBe('live');
    expect(status.body.listeners).toEqual({ es: 1, fr: 1 });

    // A late joiner in German gets recent history at once, marked as replay.
    const de = new TestClient(`${wsUrl}/ws/listener?session=${session.id}&targetLanguage=de`);
    await de.until(
      () => de.messages('caption').some((c) => c.replay === true && c.kind === 'final'),
      'replayed history',
    );

    // Transcript export in every format.
    const srt = await fetch(`${server.url}/api/sessions/${session.id}/transcript?lang=es&format=srt`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(srt.status).toBe(200);
    expect(await srt.text()).toMatch(/^1\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\n\[es\] /);

    // The speaker page's input levels reach the metrics, over all sessions: no session id there.
    sp.send({ type: 'inputStats', rmsDbfs: -23.5, peakDbfs: -3, snrDb: 31, clipping: false });
    sp.send({ type: 'ping', t: 1 });
    await sp.until(() => sp.messages('pong').length === 1, 'pong after stats');
    const metricsLive = await (await fetch(`${server.url}/metrics`)).text();
    expect(metricsLive).toMatch(/babelcast_speaker_input_level_dbfs_count\{measure="snr"\} [1-9]/);
    expect(metricsLive).not.toContain(session.id);

    const ended = await api(`/api/sessions/${session.id}/end`, { method: 'POST', token });
    expect(ended.body.state).toBe('ended');
    expect((await es.closedWith()).code).toBe(CloseCode.SESSION_ENDED);
    expect(await (await fetch(`${server.url}/metrics`)).text()).not.toContain(`session="${session.id}"`);
    for (const c of [sp, fr, de]) c.close();
  });

  it('resends after a reconnect lose nothing and duplicates are dropped', async () => {
    const session = await createSession();
    const all = frames('ljspeech-01.wav');
    const first = await speaker(session.id);
    await first.until(() => first.messages('ready').length === 1, 'ready');
    for (let i = 0; i < 10; i++)
      first.send(encodeSpeakerAudioFrame({ seq: i + 1, captureTimeMs: 0, samples: all[i]! }));
    await first.until(() => first.messages('ack').some((a) => a.seq === 10), 'ack 10');
    first.close();
    await first.closedWith();
    const second = await speaker(session.id);
    await second.until(() => second.messages('ready').length === 1, 'ready again');
    expect(second.messages('ready')[0]!.lastSeq).toBe(10);
    // Resend from 6 (as a client that missed acks would): 6..10 are duplicates, 11.. are new.
    for (let i = 5; i < all.length; i++)
      second.send(encodeSpeakerAudioFrame({ seq: i + 1, captureTimeMs: 0, samples: all[i]! }));
    await second.until(() => second.messages('ack').some((a) => a.seq === all.length), 'final ack');
    const acks = second.messages('ack').map((a) => a.seq as number);
    expect(Math.min(...acks)).toBe(10);
    second.close();
  });
});

describe('refusals carry documented close codes', () => {
  it('unknown session', async () => {
    const l = new TestClient(`${wsUrl}/ws/listener?session=lost-ocean-123&targetLanguage=es`);
    expect((await l.closedWith()).code).toBe(CloseCode.SESSION_NOT_FOUND);
    const s = await speaker('lost-ocean-123');
    expect((await s.closedWith()).code).toBe(CloseCode.SESSION_NOT_FOUND);
  });

  it('unsupported language and unsupported pair', async () => {
    const session = await createSession();
    const bad = new TestClient(`${wsUrl}/ws/listener?session=${session.id}&targetLanguage=xx`);
    const closed = await bad.closedWith();
    expect(closed.code).toBe(CloseCode.UNSUPPORTED_LANGUAGE);
    expect(closed.reason).toMatch(/xx/);
    // Japanese is a known language, but the fake translator has no en→ja pair.
    const ja = new TestClient(`${wsUrl}/ws/listener?session=${session.id}&targetLanguage=ja`);
    const c2 = await ja.closedWith();
    expect(c2.code).toBe(CloseCode.UNSUPPORTED_PAIR);
    expect(c2.reason).toMatch(/en→ja/);
  });

  it('anonymous and non-owner speakers cannot broadcast', async () => {
    const session = await createSession();
    const anon = await speaker(session.id, null);
    expect((await anon.closedWith()).code).toBe(CloseCode.UNAUTHORIZED);
    const garbage = await speaker(session.id, 'not-a-token');
    expect((await garbage.closedWith()).code).toBe(CloseCode.UNAUTHORIZED);
    const bob = await server.createApiToken('bob');
    const other = await speaker(session.id, bob);
    expect((await other.closedWith()).code).toBe(CloseCode.FORBIDDEN);
    expect((await api(`/api/sessions/${session.id}/end`, { method: 'POST', token: bob })).status).toBe(403);
    expect(
      (await api('/api/sessions', { method: 'POST', body: JSON.stringify({ sourceLanguage: 'en' }) })).body
        .error.code,
    ).toBe(ErrorCode.UNAUTHORIZED);
  });

  it('a garbage or expired token still listens, as an anonymous listener', async () => {
    const session = await createSession();
    const expiredJwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4IiwiZXhwIjoxfQ.c2lnbmF0dXJl';
    const l = new TestClient(`${wsUrl}/ws/listener?session=${session.id}&targetLanguage=es`, {
      authorization: `Bearer ${expiredJwt}`,
    });
    await l.until(() => l.messages('welcome').length === 1, 'welcome');
    expect(l.messages('welcome')[0]!.authenticated).toBe(false);
    l.send({ type: 'hello', protocol: PROTOCOL_VERSION, token: 'garbage' });
    l.send({ type: 'ping', t: 1 });
    await l.until(() => l.messages('pong').length === 1, 'pong');
    expect(l.received.closed).toBeNull();
    l.close();
  });
});

describe('malformed input', () => {
  it('gets stable error codes, never crashes the server, and loses nothing accepted', async () => {
    const session = await createSession();
    const es = new TestClient(`${wsUrl}/ws/listener?session=${session.id}&targetLanguage=es`);
    await es.until(() => es.messages('welcome').length === 1, 'welcome');
    const sp = await speaker(session.id);
    await sp.until(() => sp.messages('ready').length === 1, 'ready');
    const all = frames('ljspeech-02.wav');
    const half = Math.floor(all.length / 2);
    for (let i = 0; i < half; i++)
      sp.send(encodeSpeakerAudioFrame({ seq: i + 1, captureTimeMs: 0, samples: all[i]! }));

    sp.ws.send('{not json');
    sp.ws.send(JSON.stringify({ type: 'launchRockets' }));
    sp.ws.send(JSON.stringify({ type: 'inputStats', rmsDbfs: 'loud' }));
    const odd = encodeSpeakerAudioFrame({ seq: 999, captureTimeMs: 0, samples: new Int16Array(4) }).subarray(
      0,
      23,
    );
    sp.ws.send(odd);
    sp.ws.send(new Uint8Array([1, 2, 3]));
    await sp.until(() => sp.messages('error').length >= 5, 'five errors');
    expect(sp.messages('error').map((e) => e.code)).toEqual([
      ErrorCode.BAD_MESSAGE,
      ErrorCode.UNKNOWN_MESSAGE,
      ErrorCode.VALIDATION,
      ErrorCode.BAD_FRAME,
      ErrorCode.BAD_FRAME,
    ]);
    for (let i = half; i < all.length; i++)
      sp.send(encodeSpeakerAudioFrame({ seq: i + 1, captureTimeMs: 0, samples: all[i]! }));
    await sp.until(
      () => sp.messages('ack').some((a) => a.seq === all.length),
      'all acknowledged after errors',
    );
    await es.until(
      () => es.messages('caption').some((c) => c.kind === 'translation'),
      'translation despite bad input',
    );

    // An oversized frame closes that socket with 1009; the server goes on serving.
    sp.ws.send(new Uint8Array(SPEAKER_AUDIO_MAX_FRAME_BYTES + 4096));
    expect((await sp.closedWith()).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    expect((await api('/healthz')).status).toBe(200);

    const listenerBad = new TestClient(`${wsUrl}/ws/listener?session=${session.id}&targetLanguage=es`);
    await listenerBad.until(() => listenerBad.messages('welcome').length === 1, 'welcome');
    listenerBad.ws.send('nope');
    listenerBad.send({ type: 'setLanguage', targetLanguage: 'ja' });
    await listenerBad.until(() => listenerBad.messages('error').length === 2, 'listener errors');
    expect(listenerBad.messages('error').map((e) => e.code)).toEqual([
      ErrorCode.BAD_MESSAGE,
      ErrorCode.UNSUPPORTED_PAIR,
    ]);
    listenerBad.send({ type: 'setLanguage', targetLanguage: 'fr' });
    await listenerBad.until(() => listenerBad.messages('languageChanged').length === 1, 'language switch');
    es.close();
    listenerBad.close();
  });

  it('rejects bad HTTP bodies with validation errors', async () => {
    const res = await api('/api/sessions', {
      method: 'POST',
      token,
      body: JSON.stringify({ sourceLanguage: 'english!!' }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(ErrorCode.VALIDATION);
    const unknownSource = await api('/api/sessions', {
      method: 'POST',
      token,
      body: JSON.stringify({ sourceLanguage: 'ja' }),
    });
    expect(unknownSource.body.error.code).toBe(ErrorCode.UNSUPPORTED_LANGUAGE);
    const notJson = await fetch(`${server.url}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{',
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe(ErrorCode.BAD_REQUEST);
  });
});
