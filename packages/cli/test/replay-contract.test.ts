/**
 * The replay client against a scripted stand-in server that speaks protocol 2 (drafts, chunked
 * translations, audio packets carrying their media span), so what `replay --json` prints and
 * summarises is checked whatever the pipeline currently does. The script reacts to speaker frames:
 * "after frame k" means once the audio up to k × 200 ms has arrived.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AudioPacketFlag,
  decodeSpeakerAudioFrame,
  encodeListenerAudioPacket,
  PROTOCOL_VERSION,
} from '@babelcast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { eventLine, type ReplayResult, replay, textShownAt } from '../src/replay/index.ts';

type Out = { to: 'all' | 'es' | 'fr'; json?: Record<string, unknown>; packet?: Uint8Array };

const caption = (kind: string, lang: string, seq: number, text: string, start: number, end: number) => ({
  type: 'caption',
  kind,
  seq,
  segmentId: 1,
  lang,
  text,
  mediaStartMs: start,
  mediaEndMs: end,
  emittedAt: Date.now(),
});
const draft = (lang: string, seq: number, text: string, start: number, end: number) => ({
  type: 'draft',
  lang,
  segment: 1,
  segmentId: 1,
  seq,
  text,
  mediaStartMs: start,
  mediaEndMs: end,
  emittedAt: Date.now(),
});
/** `frames` 20 ms frames of fake audio. */
const packet = (
  lang: string,
  seq: number,
  index: number,
  flags: number,
  start: number,
  end: number,
  frames = 10,
) =>
  encodeListenerAudioPacket({
    seq,
    segmentId: 1,
    packetIndex: index,
    offsetMs: index * 200,
    mediaStartMs: start,
    mediaEndMs: end,
    sampleRate: 24_000,
    frameDurationMs: 20,
    language: lang,
    flags,
    frames: Array.from({ length: frames }, () => new Uint8Array([1, 2, 3])),
  });

const { SEGMENT_START: FIRST, SEGMENT_END: LAST } = AudioPacketFlag;
/** What the server sends after speaker frame k. */
const SCRIPT: Record<number, Out[]> = {
  5: [
    { to: 'all', json: caption('partial', 'en', 1, 'hello', 0, 1000) },
    { to: 'es', json: draft('es', 2, 'hola', 0, 1000) },
    { to: 'fr', json: draft('fr', 3, 'salut', 0, 1000) },
  ],
  6: [{ to: 'es', json: draft('es', 4, 'hola gente', 0, 1200) }],
  8: [
    { to: 'es', json: caption('translation', 'es', 5, 'hola mundo', 0, 1600) },
    { to: 'es', packet: packet('es', 6, 0, FIRST, 0, 1600) },
    { to: 'es', packet: packet('es', 7, 1, LAST, 0, 1600) },
  ],
  13: [
    { to: 'all', json: caption('final', 'en', 8, 'Hello world, bye.', 0, 2500) },
    { to: 'es', json: caption('translation', 'es', 9, 'adiós', 1700, 2000) },
    { to: 'es', packet: packet('es', 10, 2, FIRST | LAST, 1700, 2000) },
    { to: 'fr', json: caption('translation', 'fr', 11, 'salut monde', 0, 2000) },
    { to: 'fr', packet: packet('fr', 12, 0, FIRST | LAST, 0, 2000, 20) },
  ],
};

async function startScriptedServer(): Promise<{ url: string; close(): Promise<void> }> {
  const listeners: Array<{ ws: WebSocket; lang: string }> = [];
  const http: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.method === 'POST' && req.url === '/api/sessions')
      res.end(JSON.stringify({ id: 'calm-river-123' }));
    else if (req.url === '/api/languages')
      res.end(
        JSON.stringify({
          sources: ['en'],
          pairs: ['es', 'fr'].map((target) => ({ source: 'en', target, voice: true })),
          names: {},
        }),
      );
    else res.writeHead(404).end('{}');
  });
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws, req) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/ws/listener') {
      const lang = url.searchParams.get('targetLanguage')!;
      listeners.push({ ws, lang });
      ws.send(JSON.stringify({ type: 'welcome', protocol: PROTOCOL_VERSION, targetLanguage: lang, seq: 0 }));
      return;
    }
    let frames = 0;
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) {
        const msg = JSON.parse(data.toString());
        if (msg.type === 'hello')
          ws.send(JSON.stringify({ type: 'ready', protocol: PROTOCOL_VERSION, lastSeq: null }));
        return;
      }
      const f = decodeSpeakerAudioFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      frames++;
      ws.send(JSON.stringify({ type: 'ack', seq: f.seq }));
      for (const out of SCRIPT[frames] ?? [])
        for (const l of listeners)
          if (out.to === 'all' || out.to === l.lang) l.ws.send(out.packet ?? JSON.stringify(out.json));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        http.close(() => r());
      }),
  };
}

describe('replay client, protocol 2 (scripted server)', () => {
  let server: Awaited<ReturnType<typeof startScriptedServer>>;
  let result: ReplayResult;
  const lines: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    server = await startScriptedServer();
    // 2 s of a loud tone, then 1 s of silence: the speech is [0, 2000] (moments 100…2000).
    const samples = new Int16Array(48_000);
    for (let i = 0; i < 32_000; i++)
      samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 200 * i) / 16_000));
    result = await replay({
      samples,
      source: 'en',
      listen: ['es', 'fr'],
      server: { url: server.url, token: 'unused' },
      speed: 4,
      trailingSilenceMs: 400,
      settleMs: 600,
      onEvent: (e) => lines.push(JSON.parse(eventLine(e))),
    });
  }, 30_000);
  afterAll(async () => {
    await server?.close();
  });

  it('prints draft lines like the other text lines', () => {
    const drafts = lines.filter((l) => l.type === 'draft');
    expect(drafts.map((d) => [d.lang, d.text])).toEqual([
      ['es', 'hola'],
      ['fr', 'salut'],
      ['es', 'hola gente'],
    ]);
    expect(Object.keys(drafts[0]!)).toEqual([
      'type',
      'lang',
      'segment',
      'seq',
      'text',
      'mediaStartMs',
      'mediaEndMs',
      'receivedMs',
    ]);
    expect(drafts[2]).toMatchObject({ segment: 1, seq: 4, mediaStartMs: 0, mediaEndMs: 1200 });
  });

  it("gives audio lines the packet's own media span, packet index and flags", () => {
    const es = lines.filter((l) => l.type === 'audio' && l.lang === 'es');
    expect(es.map((a) => [a.mediaStartMs, a.mediaEndMs, a.packetIndex, a.flags, a.durationMs])).toEqual([
      [0, 1600, 0, 1, 200],
      [0, 1600, 1, 2, 200],
      [1700, 2000, 2, 3, 200],
    ]);
  });

  it('summarises lag per target language over every 100 ms of speech', () => {
    const s = result.summary;
    expect(s.speechMoments).toBe(20);
    for (const lang of ['es', 'fr']) {
      expect(Object.keys(s.lagMs[lang]!)).toEqual(['text', 'voice']);
      expect(Object.keys(s.lagMs[lang]!.text)).toEqual(['n', 'mean', 'p50', 'p95']);
      expect(s.lagMs[lang]!.text.n).toBe(20);
      expect(s.lagMs[lang]!.voice.n).toBe(20);
      expect(s.unshownMoments[lang]).toBe(0);
      expect(s.unvoicedMoments[lang]).toBe(0);
      // Drafts and translations come after their audio was sent, voice is heard after it arrives.
      expect(s.lagMs[lang]!.text.p50!).toBeGreaterThanOrEqual(0);
      expect(s.lagMs[lang]!.voice.mean!).toBeGreaterThan(s.lagMs[lang]!.text.mean!);
      expect(typeof s.voiceDriftMs[lang]).toBe('number');
    }
    // es: the draft after frame 5 showed moment 100 before the translation after frame 8 did.
    const { moments } = result.samples;
    const withDrafts = textShownAt(moments, result.events, 'es');
    const withoutDrafts = textShownAt(
      moments,
      result.events.filter((e) => e.type !== 'draft'),
      'es',
    );
    expect(withDrafts[0]!).toBeLessThan(withoutDrafts[0]!);
  });

  it('reports erasure per language: "hola gente" → "hola mundo" erased one of 3 final words', () => {
    expect(result.summary.erasure).toEqual({ es: 0.333, fr: 0 });
  });

  it('measures final, translation and first voice from the end of the speech (energy)', () => {
    const f = result.summary.fromLastWordMs;
    expect(f.speechEnd).toBe('energy');
    expect(f.final.n).toBe(1);
    expect(f.translation.n).toBe(2);
    expect(f.firstVoice.n).toBe(2);
    // Speech ends at 2000 but the endpointer-style span ends at 2500: from the last word is later.
    expect(f.final.p50!).toBeGreaterThan(result.summary.latencyMs.final.p50!);
  });

  it('keeps the older stages: first audio packet per voice chunk, drafts with text', () => {
    expect(result.summary.latencyMs.audio.n).toBe(3);
    expect(result.summary.latencyMs.draft.n).toBe(3);
    expect(result.summary.transcript).toEqual({
      en: 'Hello world, bye.',
      es: 'hola mundo adiós',
      fr: 'salut monde',
    });
  });
});
