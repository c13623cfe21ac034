/**
 * A stand-in for the Babelcast server that speaks the listener protocol with real Opus audio
 * (encoded here with opusscript), so the listener page's decode and playout path is tested with
 * the codec phones actually receive, whatever engines the real server runs in tests.
 *
 * Three sessions:
 * - `STUB_SESSION` streams by itself in simultaneous-mode style: each segment gets translated
 *   drafts, two committed translation chunks and two voice chunks (the second after a silence).
 * - `SCRIPTED_SESSION` sends nothing after its welcome: the test plays the server, one message at a
 *   time, through `sendScripted`, so what the page shows can be checked between two events.
 * - The speaker socket of `STUB_SESSION` accepts audio, acknowledges it and reports scripted lag.
 * - `REFUSING_SESSIONS` refuse listeners as a hardened server does (full, rate-limited, an old
 *   protocol, a language not offered), and `PAUSED_SESSION`'s speaker socket refuses audio with
 *   `BC_ERR_SESSION_PAUSED` after a few frames, until `resume`.
 * - POST /api/sessions takes at most `STUB_MAX_LANGUAGES` target languages.
 * - GET /api/languages lists `STUB_VOICES`: two voices for Spanish, one for French, none for German.
 */
import type { AddressInfo } from 'node:net';
import {
  type CaptionEvent,
  type DraftEvent,
  CloseCode,
  decodeSpeakerAudioFrame,
  ErrorCode,
  encodeListenerAudioPacket,
  LANGUAGES,
  type LagMessage,
  type LanguagesResponse,
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

export const SCRIPTED_SESSION: SessionInfo = {
  ...STUB_SESSION,
  id: 'steady-river-456',
  title: 'Scripted session',
  joinUrl: 'http://localhost/join/steady-river-456',
};

/** What the speaker socket reports after `ready`: merged, es ends at 1.8 s text and 2.9 s voice. */
export const STUB_LAG_MESSAGES: LagMessage[] = [
  { type: 'lag', textMs: { es: 1800 }, voiceMs: { es: 2600 } },
  { type: 'lag', textMs: { fr: 1200 }, voiceMs: {} },
  { type: 'lag', textMs: {}, voiceMs: { es: 2900 } },
];

const refusing = (id: string): SessionInfo => ({
  ...STUB_SESSION,
  id,
  joinUrl: `http://localhost/join/${id}`,
});
/** Listener sockets on these are refused: an `error` first where the real server sends one. */
export const REFUSING_SESSIONS = {
  full: refusing('full-hall-503'),
  rateLimited: refusing('busy-hall-429'),
  oldProtocol: refusing('old-hall-426'),
  /** GET says es, fr, de (as an older answer would); the socket offers es and fr only. */
  narrow: refusing('narrow-hall-422'),
};
const NARROW_OFFERED = ['es', 'fr'];

/** Its speaker socket acknowledges `PAUSED_AFTER_FRAMES` frames, then refuses audio until `resume`. */
export const PAUSED_SESSION: SessionInfo = { ...refusing('paused-hall-409'), title: 'Paused session' };
export const PAUSED_AFTER_FRAMES = 5;

/** The voices GET /api/languages lists per language, the default first. */
export const STUB_VOICES: Record<string, string[]> = {
  es: ['pico:es-ES', 'espeak-ng:es'],
  fr: ['espeak-ng:fr'],
};

/** POST /api/sessions refuses more target languages than this (as limits.maxLanguagesPerSession). */
export const STUB_MAX_LANGUAGES = 1;

/** Every accepted speaker token; the stub checks nothing else. */
export const STUB_SPEAKER_TOKEN = 'stub-speaker-token';

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
  /** Send a JSON message (or binary packet) to every listener of SCRIPTED_SESSION; returns how many. */
  sendScripted(message: object | Uint8Array): number;
  /** Listener sockets open on SCRIPTED_SESSION. */
  scriptedListeners(): number;
  /** Listener connection attempts per session id (with their targetLanguage), in order. */
  listenerAttempts(sessionId: string): { at: number; targetLanguage: string | null; voice: string | null }[];
  /** JSON messages SCRIPTED_SESSION's listener sockets received, in order. */
  scriptedReceived: Record<string, unknown>[];
  /** Seqs of every audio frame PAUSED_SESSION's speaker socket received, and those it accepted. */
  pausedSpeaker: { received: number[]; accepted: number[] };
  /** Bodies of POST /api/sessions. */
  created: unknown[];
  close(): Promise<void>;
}

export async function startStubServer(): Promise<StubServer> {
  const app = Fastify();
  await app.register(webRoutes, {});
  const sessions = new Map(
    [STUB_SESSION, SCRIPTED_SESSION, PAUSED_SESSION, ...Object.values(REFUSING_SESSIONS)].map((s) => [
      s.id,
      s,
    ]),
  );
  const attempts = new Map<string, { at: number; targetLanguage: string | null; voice: string | null }[]>();
  const scriptedReceived: Record<string, unknown>[] = [];
  const pausedSpeaker = { received: [] as number[], accepted: [] as number[] };
  const created: unknown[] = [];
  app.post('/api/sessions', async (req, reply) => {
    if (req.headers.authorization !== `Bearer ${STUB_SPEAKER_TOKEN}`) {
      return reply.code(401).send({ error: { code: 'BC_ERR_UNAUTHORIZED', message: 'not accepted' } });
    }
    const body = req.body as { sourceLanguage: string; title?: string; targetLanguages?: string[] };
    created.push(body);
    if ((body.targetLanguages?.length ?? 0) > STUB_MAX_LANGUAGES) {
      return reply.code(400).send({
        error: {
          code: ErrorCode.VALIDATION,
          message: `A session offers at most ${STUB_MAX_LANGUAGES} target languages on this server.`,
        },
      });
    }
    const id = `new-session-${created.length}`;
    const session: SessionInfo = {
      ...STUB_SESSION,
      id,
      state: 'created',
      title: body.title ?? null,
      joinUrl: `http://localhost/join/${id}`,
      targetLanguages: body.targetLanguages ?? STUB_SESSION.targetLanguages,
    };
    sessions.set(id, session);
    return reply.code(201).send(session);
  });
  app.get('/api/sessions/:id', async (req, reply) => {
    const session = sessions.get((req.params as { id: string }).id);
    if (!session) {
      return reply
        .code(404)
        .send({ error: { code: 'BC_ERR_SESSION_NOT_FOUND', message: 'no such session' } });
    }
    return session;
  });
  app.get('/api/languages', async (): Promise<LanguagesResponse> => {
    const codes = [STUB_SESSION.sourceLanguage, ...STUB_SESSION.targetLanguages];
    const known = LANGUAGES as Record<string, { name: string; native: string }>;
    return {
      sources: [STUB_SESSION.sourceLanguage],
      pairs: STUB_SESSION.targetLanguages.map((target) => ({
        source: STUB_SESSION.sourceLanguage,
        target,
        voice: true,
        via: 'stub',
      })),
      names: Object.fromEntries(codes.map((c) => [c, { name: known[c]!.name, native: known[c]!.native }])),
      voices: STUB_VOICES,
    };
  });
  app.get('/api/me', async (req, reply) => {
    if (req.headers.authorization !== `Bearer ${STUB_SPEAKER_TOKEN}`) {
      return reply.code(401).send({ error: { code: 'BC_ERR_UNAUTHORIZED', message: 'not accepted' } });
    }
    return { speaker: { id: 'stub', name: 'Stub speaker' } };
  });
  const sentence = opusSentence(1.5);
  const scripted = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true });
  app.server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const session = sessions.get(url.searchParams.get('session') ?? '') ?? STUB_SESSION;
      if (url.pathname === '/ws/speaker') {
        return session === PAUSED_SESSION
          ? servePausedSpeaker(ws, session, pausedSpeaker)
          : serveSpeaker(ws, session);
      }
      const tried = attempts.get(session.id) ?? [];
      tried.push({
        at: Date.now(),
        targetLanguage: url.searchParams.get('targetLanguage'),
        voice: url.searchParams.get('voice'),
      });
      attempts.set(session.id, tried);
      if (refuseListener(ws, session, url)) return;
      if (session === SCRIPTED_SESSION) {
        scripted.add(ws);
        ws.on('close', () => scripted.delete(ws));
        ws.on('message', (data, isBinary) => {
          if (!isBinary) scriptedReceived.push(JSON.parse(String(data)) as Record<string, unknown>);
        });
        return welcome(ws, session, url, 0);
      }
      serveListener(ws, url, sentence);
    });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sendScripted(message) {
      const data = message instanceof Uint8Array ? message : JSON.stringify(message);
      for (const ws of scripted) ws.send(data);
      return scripted.size;
    },
    scriptedListeners: () => scripted.size,
    scriptedReceived,
    listenerAttempts: (id) => attempts.get(id) ?? [],
    pausedSpeaker,
    created,
    async close() {
      for (const c of wss.clients) c.terminate();
      await app.close();
    },
  };
}

/** Refuse a listener of a REFUSING_SESSIONS session as the hardened server does; true if refused. */
function refuseListener(ws: WebSocket, session: SessionInfo, url: URL): boolean {
  const error = (code: string, message: string) => ws.send(JSON.stringify({ type: 'error', code, message }));
  switch (session.id) {
    case REFUSING_SESSIONS.full.id:
      error(ErrorCode.OVER_CAPACITY, 'this node is at capacity');
      ws.close(CloseCode.OVER_CAPACITY, 'server at capacity');
      return true;
    case REFUSING_SESSIONS.rateLimited.id:
      error(ErrorCode.RATE_LIMITED, 'too many connections from this address');
      ws.close(CloseCode.RATE_LIMITED, 'rate limited');
      return true;
    case REFUSING_SESSIONS.oldProtocol.id:
      ws.close(CloseCode.UNSUPPORTED_PROTOCOL, 'unsupported protocol version');
      return true;
    case REFUSING_SESSIONS.narrow.id: {
      const language = url.searchParams.get('targetLanguage') ?? '';
      if (NARROW_OFFERED.includes(language)) {
        welcome(ws, { ...session, targetLanguages: NARROW_OFFERED }, url, 0);
        return true;
      }
      error(ErrorCode.LANGUAGE_NOT_OFFERED, `this session does not offer ${language}`);
      ws.close(CloseCode.UNSUPPORTED_PAIR, 'language not offered');
      return true;
    }
  }
  return false;
}

/**
 * PAUSED_SESSION's speaker: acknowledges the first frames, then refuses audio as a paused session
 * does (one `error`, the rest silently, nothing acknowledged) until the speaker sends `resume`.
 */
function servePausedSpeaker(
  ws: WebSocket,
  session: SessionInfo,
  log: { received: number[]; accepted: number[] },
): void {
  let paused = false;
  let toldPaused = false;
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      const { seq } = decodeSpeakerAudioFrame(new Uint8Array(data as Buffer));
      log.received.push(seq);
      if (!paused && log.accepted.length >= PAUSED_AFTER_FRAMES && !toldPaused) paused = true;
      if (paused) {
        if (!toldPaused) {
          toldPaused = true;
          ws.send(
            JSON.stringify({ type: 'error', code: ErrorCode.SESSION_PAUSED, message: 'session is paused' }),
          );
        }
        return;
      }
      // Resending is safe: at or below the last accepted seq is dropped, but acknowledged.
      if (seq > (log.accepted.at(-1) ?? -1)) log.accepted.push(seq);
      ws.send(JSON.stringify({ type: 'ack', seq: log.accepted.at(-1) }));
      return;
    }
    const msg = JSON.parse(String(data)) as { type: string; token?: string };
    if (msg.type === 'hello') {
      if (msg.token !== STUB_SPEAKER_TOKEN) return ws.close(4401, 'not accepted');
      const lastSeq = log.accepted.at(-1) ?? null;
      ws.send(JSON.stringify({ type: 'ready', protocol: PROTOCOL_VERSION, session, lastSeq }));
    } else if (msg.type === 'resume') {
      paused = false;
      ws.send(JSON.stringify({ type: 'state', state: 'live' }));
    }
  });
}

function welcome(ws: WebSocket, session: SessionInfo, url: URL, seq: number): string {
  const language = url.searchParams.get('targetLanguage') ?? 'es';
  // As the server does: the voice asked for if the language has it, else its default.
  const offered = STUB_VOICES[language] ?? [];
  const asked = url.searchParams.get('voice');
  const voice = asked && offered.includes(asked) ? asked : offered[0];
  ws.send(
    JSON.stringify({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      session,
      targetLanguage: language,
      ...(voice && { voice }),
      authenticated: false,
      seq,
      audio: { codec: 'opus', sampleRate: 24_000, frameDurationMs: 20 },
    }),
  );
  return language;
}

/** Segment timing of the self-running stream, ms after the segment starts. */
const TIMING = { draft1: 0, draft2: 150, chunk1: 300, draft3: 450, chunk2: 1300, period: 2500 };

function serveListener(ws: WebSocket, url: URL, sentence: Uint8Array[]): void {
  let seq = 0;
  const language = welcome(ws, STUB_SESSION, url, seq);
  const span = (segmentId: number) => ({
    mediaStartMs: segmentId * 2000,
    mediaEndMs: segmentId * 2000 + 1500,
  });
  const caption = (kind: CaptionEvent['kind'], segmentId: number, text: string, lang: string) =>
    ws.send(
      JSON.stringify({
        type: 'caption',
        kind,
        seq: ++seq,
        segmentId,
        lang,
        text,
        ...span(segmentId),
        emittedAt: Date.now(),
      } satisfies CaptionEvent),
    );
  const draft = (segmentId: number, text: string) =>
    ws.send(
      JSON.stringify({
        type: 'draft',
        lang: language,
        segment: segmentId,
        segmentId,
        seq: ++seq,
        text,
        ...span(segmentId),
        emittedAt: Date.now(),
      } satisfies DraftEvent),
    );
  // A segment's voice in two chunks, each a burst as TTS output usually is. packetIndex and
  // offsetMs run on across the chunks; each chunk's packets carry the span of speech it voices.
  const half = Math.ceil(sentence.length / 2);
  const chunks = [
    { frames: sentence.slice(0, half), firstFrame: 0, spanMs: [0, 700] },
    { frames: sentence.slice(half), firstFrame: half, spanMs: [700, 1500] },
  ] as const;
  const packetsSent = new Map<number, number>();
  const voice = (segmentId: number, chunk: (typeof chunks)[number]) => {
    const perPacket = 10;
    for (let p = 0; p * perPacket < chunk.frames.length; p++) {
      const frames = chunk.frames.slice(p * perPacket, (p + 1) * perPacket);
      const last = (p + 1) * perPacket >= chunk.frames.length;
      const packetIndex = packetsSent.get(segmentId) ?? 0;
      packetsSent.set(segmentId, packetIndex + 1);
      ws.send(
        encodeListenerAudioPacket({
          seq: ++seq,
          segmentId,
          packetIndex,
          offsetMs: (chunk.firstFrame + p * perPacket) * 20,
          mediaStartMs: span(segmentId).mediaStartMs + chunk.spanMs[0],
          mediaEndMs: span(segmentId).mediaStartMs + chunk.spanMs[1],
          sampleRate: 24_000,
          frameDurationMs: 20,
          language,
          flags: (p === 0 ? 1 : 0) | (last ? 2 : 0),
          frames,
        }),
      );
    }
  };
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const at = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (ws.readyState === ws.OPEN) fn();
    }, ms);
    timers.add(t);
  };
  let segmentId = 0;
  // The second voice chunk comes after the first has finished playing: the page must treat the
  // silence between them as expected, not as a gap, and start the chunk with its own cushion.
  const sendSegment = () => {
    const id = ++segmentId;
    caption('partial', id, `sentence ${id}`, 'en');
    at(TIMING.draft1, () => draft(id, `[${language}] draft ${id}`));
    at(TIMING.draft2, () => draft(id, `[${language}] draft ${id} grows`));
    at(TIMING.chunk1, () => {
      caption('translation', id, `[${language}] sentence ${id},`, language);
      voice(id, chunks[0]);
    });
    at(TIMING.draft3, () => draft(id, `[${language}] second draft ${id}`));
    at(TIMING.chunk2, () => {
      caption('final', id, `sentence ${id}, said in full.`, 'en');
      caption('translation', id, `[${language}] said in full.`, language);
      voice(id, chunks[1]);
    });
  };
  const timer = setInterval(sendSegment, TIMING.period);
  at(300, sendSegment);
  ws.on('close', () => {
    clearInterval(timer);
    for (const t of timers) clearTimeout(t);
  });
}

/** The speaker socket: ready after hello, an ack for every frame, and the scripted lag reports. */
function serveSpeaker(ws: WebSocket, session: SessionInfo): void {
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      const frame = decodeSpeakerAudioFrame(new Uint8Array(data as Buffer));
      ws.send(JSON.stringify({ type: 'ack', seq: frame.seq }));
      return;
    }
    const msg = JSON.parse(String(data)) as { type: string; token?: string };
    if (msg.type !== 'hello') return;
    if (msg.token !== STUB_SPEAKER_TOKEN) return ws.close(4401, 'not accepted');
    ws.send(JSON.stringify({ type: 'ready', protocol: PROTOCOL_VERSION, session, lastSeq: null }));
    for (const lag of STUB_LAG_MESSAGES) ws.send(JSON.stringify(lag));
  });
}
