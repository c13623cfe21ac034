/**
 * A stand-in for the Babelcast server that speaks the listener protocol with real Opus audio
 * (encoded here with opusscript), so the listener page's decode and playout path is tested with
 * the codec phones actually receive, whatever engines the real server runs in tests.
 */
import type { AddressInfo } from 'node:net';
import {
  type CaptionEvent,
  encodeListenerAudioPacket,
  PROTOCOL_VERSION,
  type SessionInfo,
} from '@babelcast/protocol';
import Fastify from 'fastify';
import OpusScript from 'opusscript';
import { type WebSocket, WebSocketServer } from 'ws';
import { webRoutes } from '../src/index.ts';

export const STUB_SESSION: SessionInfo = {
  id: 'quiet-harbor-123',
  title: 'Stub session',
  sourceLanguage: 'en',
  state: 'live',
  createdAt: new Date(0).toISOString(),
  joinUrl: 'http://localhost/join/quiet-harbor-123',
  targetLanguages: ['es', 'fr', 'de'],
  listeners: {},
};

/** One sentence of speech-like sound: a 220 Hz tone with a syllable-rate envelope. */
export function opusSentence(seconds: number): Uint8Array[] {
  const enc = new OpusScript(24_000, 1, OpusScript.Application.VOIP);
  const frame = 480;
  const frames: Uint8Array[] = [];
  for (let f = 0; f < Math.round(seconds * 50); f++) {
    const pcm = Buffer.alloc(frame * 2);
    for (let i = 0; i < frame; i++) {
      const t = (f * frame + i) / 24_000;
      const env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
      pcm.writeInt16LE(Math.round(12_000 * env * Math.sin(2 * Math.PI * 220 * t)), i * 2);
    }
    frames.push(Uint8Array.from(enc.encode(pcm, frame)));
  }
  enc.delete();
  return frames;
}

export interface StubServer {
  url: string;
  close(): Promise<void>;
}

export async function startStubServer(): Promise<StubServer> {
  const app = Fastify();
  await app.register(webRoutes, {});
  app.get('/api/sessions/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (id !== STUB_SESSION.id) {
      return reply
        .code(404)
        .send({ error: { code: 'BC_ERR_SESSION_NOT_FOUND', message: 'no such session' } });
    }
    return STUB_SESSION;
  });
  const sentence = opusSentence(1.5);
  const wss = new WebSocketServer({ noServer: true });
  app.server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) =>
      serveListener(ws, new URL(req.url ?? '/', 'http://x'), sentence),
    );
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const c of wss.clients) c.terminate();
      await app.close();
    },
  };
}

function serveListener(ws: WebSocket, url: URL, sentence: Uint8Array[]): void {
  const language = url.searchParams.get('targetLanguage') ?? 'es';
  let seq = 0;
  const caption = (kind: CaptionEvent['kind'], segmentId: number, text: string, lang: string) =>
    ws.send(
      JSON.stringify({
        type: 'caption',
        kind,
        seq: ++seq,
        segmentId,
        lang,
        text,
        mediaStartMs: segmentId * 2000,
        mediaEndMs: segmentId * 2000 + 1500,
        emittedAt: Date.now(),
      } satisfies CaptionEvent),
    );
  ws.send(
    JSON.stringify({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      session: STUB_SESSION,
      targetLanguage: language,
      authenticated: false,
      seq,
    }),
  );
  let segmentId = 0;
  // A sentence every 2 s, its audio delivered in one burst as TTS output usually is.
  const sendSentence = () => {
    segmentId++;
    caption('final', segmentId, `sentence ${segmentId}`, 'en');
    caption('translation', segmentId, `[${language}] sentence ${segmentId}`, language);
    const perPacket = 10;
    for (let p = 0; p * perPacket < sentence.length; p++) {
      const frames = sentence.slice(p * perPacket, (p + 1) * perPacket);
      const last = (p + 1) * perPacket >= sentence.length;
      ws.send(
        encodeListenerAudioPacket({
          seq: ++seq,
          segmentId,
          packetIndex: p,
          offsetMs: p * perPacket * 20,
          mediaStartMs: 0,
          mediaEndMs: 1000,
          sampleRate: 24_000,
          frameDurationMs: 20,
          language,
          flags: (p === 0 ? 1 : 0) | (last ? 2 : 0),
          frames,
        }),
      );
    }
  };
  const timer = setInterval(sendSentence, 2000);
  setTimeout(sendSentence, 300);
  ws.on('close', () => clearInterval(timer));
}
