/**
 * A listener chooses which voice speaks its language (issue 13, item 4), end to end: the real
 * server on a random port, real WebSockets, a real speech clip, fake engines whose two voices
 * sound apart (FakeTts: the second speaks 1.5 times as long, at twice the pitch).
 */
import { randomBytes } from 'node:crypto';
import { NatsBus } from '@babelcast/bus-nats';
import { createFakeEngines, FakeTts } from '@babelcast/core';
import {
  encodeSpeakerAudioFrame,
  ErrorCode,
  type ListenerAudioPacket,
  PROTOCOL_VERSION,
} from '@babelcast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { sendClip, startTestServer } from './test-server.ts';
import { connectSpeaker, createSession, TestClient } from './ws-client.ts';

const VOICES = ['fake:low', 'fake:high'];

let server: RunningServer;
let token: string;
let wsUrl: string;

beforeAll(async () => {
  server = await startTestServer({
    engineSet: { ...createFakeEngines(), tts: new FakeTts({ voices: VOICES }) },
    // One translation and one voice chunk per sentence: what is compared below.
    pipeline: { mode: 'sentence' },
  });
  token = await server.createApiToken('alice');
  wsUrl = server.url.replace(/^http/, 'ws');
});
afterAll(async () => {
  await server?.close();
});

async function listener(wsUrl: string, sessionId: string, lang: string, voice?: string): Promise<TestClient> {
  const q = new URLSearchParams({ session: sessionId, targetLanguage: lang, ...(voice && { voice }) });
  const c = new TestClient(`${wsUrl}/ws/listener?${q}`);
  await c.until(() => c.messages('welcome').length === 1, `${lang} ${voice ?? 'default'} welcome`);
  return c;
}

const translations = (c: TestClient) =>
  c
    .messages('caption')
    .filter((m) => m.kind === 'translation')
    .map((m) => [m.segmentId, m.text]);

/** Voice per segment, in frames (20 ms each), of the segments whose voice is complete (last packet flagged). */
function framesBySegment(audio: ListenerAudioPacket[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of audio) out.set(p.segmentId, (out.get(p.segmentId) ?? 0) + p.frames.length);
  for (const id of out.keys())
    if (!audio.some((p) => p.segmentId === id && (p.flags & 2) !== 0)) out.delete(id);
  return out;
}

/**
 * Two Spanish listeners, one in the default voice, one in the other; a speaker says a clip. Each
 * gets the same captions and its own voice's audio.
 */
async function twoListenersTwoVoices(server: RunningServer, token: string): Promise<void> {
  const wsUrl = server.url.replace(/^http/, 'ws');
  const sessionId = await createSession(server.url, token);
  const low = await listener(wsUrl, sessionId, 'es');
  const high = await listener(wsUrl, sessionId, 'es', 'fake:high');
  expect(low.messages('welcome')[0]!.voice).toBe('fake:low');
  expect(high.messages('welcome')[0]!.voice).toBe('fake:high');
  const sp = await connectSpeaker(server.url, sessionId, token);
  await sp.until(() => sp.messages('ready').length === 1, 'ready');
  // A moment of silence first, as a speaker's page sends: on a network bus the pipeline reads the
  // listeners' voices a moment after it starts, on the first frame.
  sp.send(encodeSpeakerAudioFrame({ seq: 1, captureTimeMs: Date.now(), samples: new Int16Array(3200) }));
  await sp.until(() => sp.messages('ack').some((a) => a.seq === 1), 'the silence');
  await new Promise((r) => setTimeout(r, 300));
  const last = sendClip(sp, 'long-en-01.wav', { afterSeq: 1 });
  await sp.until(() => sp.messages('ack').some((a) => a.seq === last), 'all frames acknowledged');
  for (const c of [low, high]) {
    await c.until(() => {
      const tr = c.messages('caption').filter((m) => m.kind === 'translation');
      return (
        tr.length >= 3 &&
        c.received.audio.some((a) => a.segmentId === tr.at(-1)!.segmentId && (a.flags & 2) !== 0)
      );
    }, 'translations and their voice');
  }
  // Let both voices finish the same sentences.
  await new Promise((r) => setTimeout(r, 500));
  expect(translations(low).length).toBeGreaterThanOrEqual(3);
  expect(translations(high).slice(0, translations(low).length)).toEqual(translations(low));
  const lowFrames = framesBySegment(low.received.audio);
  const highFrames = framesBySegment(high.received.audio);
  const both = [...lowFrames.keys()].filter((id) => highFrames.has(id));
  expect(both.length).toBeGreaterThanOrEqual(3);
  // Same sentences, each in its own voice: the high voice lasts 1.5 times as long, every time.
  for (const id of both) {
    const ratio = highFrames.get(id)! / lowFrames.get(id)!;
    expect(ratio).toBeGreaterThan(1.35);
    expect(ratio).toBeLessThan(1.65);
  }
  // Each voice is its own track: packet numbering per segment from 0, without gaps.
  for (const c of [low, high]) {
    for (const id of both) {
      const packets = c.received.audio.filter((p) => p.segmentId === id);
      expect(packets.map((p) => p.packetIndex)).toEqual(packets.map((_, i) => i));
    }
  }
  for (const c of [low, high, sp]) c.close();
}

describe('choosing a voice', () => {
  it('lists the voices of each language in GET /api/languages', async () => {
    const body = (await (await fetch(`${server.url}/api/languages`)).json()) as {
      voices: Record<string, string[]>;
    };
    expect(body.voices.es).toEqual(VOICES);
  });

  it('gives two listeners of one language each their own voice’s audio and the same captions', async () => {
    await twoListenersTwoVoices(server, token);
  });

  it('switches voice without losing captions, and refuses a voice the language lacks with a stable code', async () => {
    const sessionId = await createSession(server.url, token);
    const c = await listener(wsUrl, sessionId, 'es');
    c.send({ type: 'setLanguage', targetLanguage: 'es', voice: 'nobody:x' });
    await c.until(() => c.messages('error').length === 1, 'refusal');
    expect(c.messages('error')[0]!.code).toBe(ErrorCode.UNSUPPORTED_VOICE);
    c.send({ type: 'setLanguage', targetLanguage: 'es', voice: 'fake:high' });
    await c.until(() => c.messages('languageChanged').length === 1, 'voice switched');
    expect(c.messages('languageChanged')[0]).toMatchObject({ targetLanguage: 'es', voice: 'fake:high' });
    // A malformed voice is refused by validation; hello may name a voice too.
    c.send({ type: 'setLanguage', targetLanguage: 'es', voice: 'x'.repeat(65) });
    c.send({ type: 'hello', protocol: PROTOCOL_VERSION, voice: 'fake:low' });
    await c.until(() => c.messages('languageChanged').length === 2, 'voice switched by hello');
    expect(c.messages('error').map((e) => e.code)).toEqual([
      ErrorCode.UNSUPPORTED_VOICE,
      ErrorCode.VALIDATION,
    ]);
    expect(c.messages('languageChanged')[1]).toMatchObject({ targetLanguage: 'es', voice: 'fake:low' });
    // Naming in hello the voice it already has changes nothing (no second replay, no confirmation).
    c.send({ type: 'hello', protocol: PROTOCOL_VERSION, voice: 'fake:low' });
    c.send({ type: 'ping', t: 1 });
    await c.until(() => c.messages('pong').length === 1, 'pong');
    expect(c.messages('languageChanged')).toHaveLength(2);
    expect(c.received.closed).toBeNull();
    const hub = (await server.sessions.get(sessionId))!.hub;
    expect(hub.demandedVoices).toEqual({ es: [''] });
    c.close();
  });

  it('joins with the default voice, saying why, when the voice asked for is not offered', async () => {
    const sessionId = await createSession(server.url, token);
    const c = new TestClient(`${wsUrl}/ws/listener?session=${sessionId}&targetLanguage=es&voice=nobody:x`);
    await c.until(() => c.messages('welcome').length === 1, 'welcome');
    expect(c.messages('error').map((e) => e.code)).toEqual([ErrorCode.UNSUPPORTED_VOICE]);
    expect(c.messages('welcome')[0]!.voice).toBe('fake:low');
    c.close();
    // The session's own language has no voice to choose: listeners hear the speaker.
    const en = new TestClient(`${wsUrl}/ws/listener?session=${sessionId}&targetLanguage=en`);
    await en.until(() => en.messages('welcome').length === 1, 'en welcome');
    expect(en.messages('welcome')[0]!.voice).toBeUndefined();
    en.close();
  });
});

describe('choosing a voice on the NATS bus (voices in the demand KV, voice ids in the audio packets)', () => {
  const NATS_URL = process.env.BABELCAST_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
  const prefix = `bctest_${randomBytes(5).toString('hex')}`;
  let natsServer: RunningServer;

  beforeAll(async () => {
    natsServer = await startTestServer({
      engineSet: { ...createFakeEngines(), tts: new FakeTts({ voices: VOICES }) },
      bus: { kind: 'nats', natsUrl: NATS_URL, natsPrefix: prefix, audioMaxAgeSeconds: 600 },
      pipeline: { mode: 'sentence' },
    });
  });
  afterAll(async () => {
    await natsServer?.close();
    await NatsBus.destroy(NATS_URL, prefix);
  });

  it('gives two listeners of one language each their own voice’s audio and the same captions', async () => {
    await twoListenersTwoVoices(natsServer, await natsServer.createApiToken('nats'));
  });
});
