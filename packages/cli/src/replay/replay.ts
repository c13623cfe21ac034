/**
 * The replay client: plays a recording into a Babelcast server as a speaker, in real time (or
 * `speed` times faster), with one listener per target language, and records what each listener
 * receives and when. The CLI's `replay` command prints the result; the benchmarks aggregate it.
 *
 * Time origin: `receivedMs` is measured from the moment the first audio frame was sent. Latency
 * is measured from when the audio in question was *sent* (each frame's actual send time, so
 * timer jitter in the client does not count against the server); see docs/benchmarks.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLogger } from '@babelcast/core';
import {
  AudioPacketFlag,
  type CaptionEvent,
  decodeListenerAudioPacket,
  encodeSpeakerAudioFrame,
  type LanguagesResponse,
  PROTOCOL_VERSION,
  SPEAKER_SAMPLE_RATE,
} from '@babelcast/protocol';
import { type RunningServer, startServer } from '@babelcast/server';
import { type Incoming, ReplayConnection } from './connection.ts';
import { loadSpeakerAudio } from './speaker-audio.ts';
import { type Percentiles, percentiles } from './stats.ts';

export type ReplayEventType = 'partial' | 'final' | 'translation' | 'audio';

export interface ReplayEvent {
  type: ReplayEventType;
  lang: string;
  segment: number;
  seq: number;
  /** Caption text; absent on audio events. */
  text?: string;
  mediaStartMs: number;
  mediaEndMs: number;
  /** ms since the first audio frame was sent. */
  receivedMs: number;
  /** Audio events only: duration of the packet's audio. */
  durationMs?: number;
}

export interface ReplaySummary {
  type: 'summary';
  /** Source language: every final in order; each target language: every translation in order. */
  transcript: Record<string, string>;
  latencyMs: Record<'partial' | 'final' | 'translation' | 'audio', Percentiles>;
  /** Translated audio received per target language, ms. */
  audioMs: Record<string, number>;
  /** Length of the speech sent (without the trailing silence), ms. */
  inputMs: number;
  /** Wall time from the first frame sent to the end of the run, ms. */
  wallMs: number;
  sessionId: string;
  server: string;
}

export type LatencyStage = 'partial' | 'final' | 'translation' | 'audio';

export interface ReplayResult {
  events: ReplayEvent[];
  summary: ReplaySummary;
  /** The latency samples behind the summary's percentiles, ms, so runs can be pooled. */
  samples: Record<LatencyStage, number[]>;
}

export interface ReplayOptions {
  /** A WAV file, converted to 16 kHz mono if needed. Give this or `samples`. */
  file?: string;
  /** 16 kHz mono PCM16. */
  samples?: Int16Array;
  source: string;
  listen: string[];
  /** An existing server (base URL) and a speaker token. Without it a server is started and stopped. */
  server?: { url: string; token: string };
  /** Engine preset for the server started here (default: the configured one, normally embedded). */
  engines?: 'embedded' | 'fake';
  configFile?: string;
  /** 1 = real time (default); 4 = four times faster. */
  speed?: number;
  frameMs?: number;
  /** Silence sent after the file so the endpointer closes the last utterance. */
  trailingSilenceMs?: number;
  /** The run ends once no event has arrived for this long (default 3000). */
  settleMs?: number;
  /** Upper bound on the wait after the last frame (default 120 s). */
  maxSettleMs?: number;
  title?: string;
  onEvent?: (event: ReplayEvent) => void;
  /** Called once the listeners and the speaker are connected, before the first frame (benchmarks add load here). */
  beforeStreaming?: (sessionId: string) => Promise<void>;
  /** Log lines for humans (conversion done, server started…); never on stdout in --json mode. */
  onInfo?: (line: string) => void;
}

const CONNECT_TIMEOUT_MS = 15_000;

interface StartedServer {
  url: string;
  token: string;
  stop(): Promise<void>;
}

async function ownServer(options: ReplayOptions): Promise<StartedServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'babelcast-replay-'));
  let server: RunningServer;
  try {
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      logLevel: 'warn',
      configFile: options.configFile,
      logger: createLogger({ level: 'warn', destination: process.stderr }),
      ...(options.engines ? { engines: options.engines } : {}),
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const token = await server.createApiToken('replay');
  return {
    url: server.url,
    token,
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function createSession(url: string, token: string, source: string, title: string): Promise<string> {
  const res = await fetch(`${url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ sourceLanguage: source, title }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    id?: string;
    error?: { code: string; message: string };
  };
  if (!res.ok || !body.id) {
    throw new Error(
      `the server refused to create the session: HTTP ${res.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}`.trim(),
    );
  }
  return body.id;
}

async function voicedLanguages(url: string, source: string): Promise<Set<string>> {
  try {
    const res = await fetch(`${url}/api/languages`);
    const body = (await res.json()) as LanguagesResponse;
    return new Set(body.pairs.filter((p) => p.source === source && p.voice).map((p) => p.target));
  } catch {
    return new Set();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const info = options.onInfo ?? (() => {});
  let samples = options.samples;
  if (!samples) {
    if (!options.file) throw new Error('replay needs a file or samples');
    const audio = loadSpeakerAudio(options.file);
    if (audio.converted) info(`${options.file}: ${audio.converted}`);
    samples = audio.samples;
  }
  const listen = [...new Set(options.listen)];
  if (listen.length === 0) throw new Error('give at least one listener language');
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new Error(`speed must be positive, got ${speed}`);
  const frameMs = options.frameMs ?? 200;
  const frameSamples = (SPEAKER_SAMPLE_RATE * frameMs) / 1000;
  const silenceMs = options.trailingSilenceMs ?? 1500;
  const settleMs = options.settleMs ?? 3000;
  const maxSettleMs = options.maxSettleMs ?? 120_000;

  const started = options.server ? null : await ownServer(options);
  if (started) info(`started a server at ${started.url}`);
  const base = (options.server?.url ?? started!.url).replace(/\/$/, '');
  const token = options.server?.token ?? started!.token;
  const wsBase = base.replace(/^http/, 'ws');

  const events: ReplayEvent[] = [];
  const connections: ReplayConnection[] = [];
  let t0 = Number.NaN;
  let lastEventAt = 0;
  const clock = () => performance.now();
  const emit = (e: ReplayEvent) => {
    events.push(e);
    lastEventAt = clock();
    options.onEvent?.(e);
  };
  const since = (at: number) => (Number.isNaN(t0) ? 0 : Math.round((at - t0) * 10) / 10);

  try {
    const sessionId = await createSession(base, token, options.source, options.title ?? 'replay');
    const voiced = await voicedLanguages(base, options.source);

    // Listeners first, so they hear everything from the first frame on.
    const segmentSpans = new Map<string, { start: number; end: number }>();
    const welcomed = new Set<string>();
    const audioFlags = new WeakMap<ReplayEvent, { index: number; last: boolean }>();
    listen.forEach((lang, index) => {
      const onMessage = (m: Incoming) => {
        if (m.json) {
          const msg = m.json;
          if (msg.type === 'welcome') welcomed.add(lang);
          if (msg.type !== 'caption' || msg.replay) return;
          const c = msg as unknown as CaptionEvent;
          // Source captions go to every listener; record them once (from the first listener).
          if (c.kind !== 'translation' && index !== 0) return;
          if (c.kind === 'translation' && c.lang !== lang) return;
          segmentSpans.set(`${lang}:${c.segmentId}`, { start: c.mediaStartMs, end: c.mediaEndMs });
          emit({
            type: c.kind,
            lang: c.lang,
            segment: c.segmentId,
            seq: c.seq,
            text: c.text,
            mediaStartMs: c.mediaStartMs,
            mediaEndMs: c.mediaEndMs,
            receivedMs: since(m.at),
          });
        } else if (m.binary) {
          const p = decodeListenerAudioPacket(m.binary);
          const span = segmentSpans.get(`${p.language}:${p.segmentId}`);
          const e: ReplayEvent = {
            type: 'audio',
            lang: p.language,
            segment: p.segmentId,
            seq: p.seq,
            mediaStartMs: span?.start ?? Number.NaN,
            mediaEndMs: span?.end ?? Number.NaN,
            receivedMs: since(m.at),
            durationMs: p.frames.length * p.frameDurationMs,
          };
          audioFlags.set(e, { index: p.packetIndex, last: (p.flags & AudioPacketFlag.SEGMENT_END) !== 0 });
          emit(e);
        }
      };
      const url = `${wsBase}/ws/listener?session=${encodeURIComponent(sessionId)}&targetLanguage=${encodeURIComponent(lang)}`;
      connections.push(new ReplayConnection(`${lang} listener`, url, clock, onMessage));
    });
    await Promise.all(
      listen.map((lang, i) =>
        connections[i]!.until(() => welcomed.has(lang), CONNECT_TIMEOUT_MS, `the ${lang} listener's welcome`),
      ),
    );

    let ready = false;
    let acked = 0;
    const speaker = new ReplayConnection(
      'speaker',
      `${wsBase}/ws/speaker?session=${encodeURIComponent(sessionId)}`,
      clock,
      (m) => {
        if (m.json?.type === 'ready') ready = true;
        if (m.json?.type === 'ack') acked = Math.max(acked, m.json.seq as number);
      },
    );
    connections.push(speaker);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('timed out connecting the speaker')),
        CONNECT_TIMEOUT_MS,
      );
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      speaker.ws.once('open', done);
      speaker.ws.once('close', done);
    });
    speaker.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, token }));
    await speaker.until(() => ready, CONNECT_TIMEOUT_MS, 'the speaker to be ready');
    await options.beforeStreaming?.(sessionId);

    // Frames: the file, then silence so the endpointer closes the last utterance.
    const silenceFrames = Math.ceil(silenceMs / frameMs);
    const fileFrames = Math.ceil(samples.length / frameSamples);
    const totalFrames = fileFrames + silenceFrames;
    const sentAt = new Float64Array(totalFrames);
    t0 = clock();
    for (let i = 0; i < totalFrames; i++) {
      await sleep(t0 + (i * frameMs) / speed - clock());
      if (speaker.closed) break;
      const chunk =
        i < fileFrames
          ? samples.subarray(i * frameSamples, Math.min(samples.length, (i + 1) * frameSamples))
          : new Int16Array(frameSamples);
      sentAt[i] = clock() - t0;
      speaker.send(encodeSpeakerAudioFrame({ seq: i + 1, captureTimeMs: Date.now(), samples: chunk }));
    }
    if (speaker.closed) {
      const { code, reason } = speaker.closed;
      throw new Error(`the server closed the speaker connection while streaming: ${code} ${reason}`);
    }
    await speaker.until(() => acked >= totalFrames, CONNECT_TIMEOUT_MS, 'the last frames to be acknowledged');

    // Settle: stop once nothing has arrived for `settleMs`; sooner once every segment is complete.
    const lastFrameAt = clock();
    lastEventAt = Math.max(lastEventAt, lastFrameAt);
    const complete = () => {
      const finals = events.filter((e) => e.type === 'final');
      if (finals.length === 0) return false;
      return listen.every((lang) =>
        finals.every((f) => {
          if (lang === options.source && !voiced.has(lang)) {
            return events.some((e) => e.type === 'translation' && e.lang === lang && e.segment === f.segment);
          }
          const tr = events.find(
            (e) => e.type === 'translation' && e.lang === lang && e.segment === f.segment,
          );
          if (!tr) return false;
          if (!voiced.has(lang) || !tr.text?.trim()) return true;
          return events.some(
            (e) =>
              e.type === 'audio' && e.lang === lang && e.segment === f.segment && audioFlags.get(e)?.last,
          );
        }),
      );
    };
    while (clock() - lastFrameAt < maxSettleMs) {
      const quiet = clock() - lastEventAt;
      if (quiet >= settleMs || (quiet >= Math.min(500, settleMs) && complete())) break;
      if (connections.slice(0, listen.length).every((c) => c.closed)) break;
      await sleep(50);
    }
    const wallMs = clock() - t0;
    speaker.send(JSON.stringify({ type: 'end' }));

    const summary = summarize({
      events,
      sentAt: sentAt.subarray(0, totalFrames),
      frameMs,
      source: options.source,
      listen,
      audioFlags,
    });
    const { samples: latencySamples, ...rest } = summary;
    return {
      events,
      samples: latencySamples,
      summary: {
        ...rest,
        inputMs: Math.round((samples.length * 1000) / SPEAKER_SAMPLE_RATE),
        wallMs: Math.round(wallMs),
        sessionId,
        server: base,
      },
    };
  } finally {
    await Promise.all(connections.map((c) => c.close()));
    if (started) await started.stop();
  }
}

function summarize(args: {
  events: ReplayEvent[];
  sentAt: Float64Array;
  frameMs: number;
  source: string;
  listen: string[];
  audioFlags: WeakMap<ReplayEvent, { index: number; last: boolean }>;
}): Pick<ReplaySummary, 'type' | 'transcript' | 'latencyMs' | 'audioMs'> & {
  samples: Record<LatencyStage, number[]>;
} {
  const { events, sentAt, frameMs } = args;
  // When the audio at media position `ms` left the client: the send time of the frame holding it.
  const sentAtMs = (ms: number) => {
    const frame = Math.min(sentAt.length - 1, Math.max(0, Math.ceil(ms / frameMs) - 1));
    return sentAt[frame]!;
  };
  const partial: number[] = [];
  const final: number[] = [];
  const translation: number[] = [];
  const audio: number[] = [];
  const wordsSeen = new Map<number, number>();
  const firstAudio = new Set<string>();
  const ends = new Map<number, number>();
  for (const e of events) if (e.type === 'final') ends.set(e.segment, e.mediaEndMs);
  for (const e of events) {
    switch (e.type) {
      case 'partial': {
        // A partial counts when it shows a word not shown before in this segment.
        const words = (e.text ?? '').trim().split(/\s+/).filter(Boolean).length;
        if (words > (wordsSeen.get(e.segment) ?? 0)) {
          wordsSeen.set(e.segment, words);
          partial.push(e.receivedMs - sentAtMs(e.mediaEndMs));
        }
        break;
      }
      case 'final':
        final.push(e.receivedMs - sentAtMs(e.mediaEndMs));
        break;
      case 'translation':
        translation.push(e.receivedMs - sentAtMs(e.mediaEndMs));
        break;
      case 'audio': {
        const key = `${e.lang}:${e.segment}`;
        if (firstAudio.has(key)) break;
        firstAudio.add(key);
        const end = Number.isNaN(e.mediaEndMs) ? ends.get(e.segment) : e.mediaEndMs;
        if (end !== undefined) audio.push(e.receivedMs - sentAtMs(end));
        break;
      }
    }
  }
  const transcript: Record<string, string> = {};
  transcript[args.source] = events
    .filter((e) => e.type === 'final')
    .map((e) => e.text)
    .join(' ');
  for (const lang of args.listen) {
    if (lang === args.source) continue;
    transcript[lang] = events
      .filter((e) => e.type === 'translation' && e.lang === lang)
      .map((e) => e.text)
      .join(' ');
  }
  const audioMs: Record<string, number> = {};
  for (const lang of args.listen) {
    if (lang === args.source) continue;
    audioMs[lang] = events
      .filter((e) => e.type === 'audio' && e.lang === lang)
      .reduce((n, e) => n + (e.durationMs ?? 0), 0);
  }
  return {
    type: 'summary',
    transcript,
    latencyMs: {
      partial: percentiles(partial),
      final: percentiles(final),
      translation: percentiles(translation),
      audio: percentiles(audio),
    },
    audioMs,
    samples: { partial, final, translation, audio },
  };
}

/** One JSON line per event, with the fields in the documented order. */
export function eventLine(e: ReplayEvent): string {
  const base = { type: e.type, lang: e.lang, segment: e.segment, seq: e.seq };
  const media = { mediaStartMs: e.mediaStartMs, mediaEndMs: e.mediaEndMs, receivedMs: e.receivedMs };
  return JSON.stringify(
    e.type === 'audio'
      ? { ...base, ...media, durationMs: e.durationMs }
      : { ...base, text: e.text, ...media },
  );
}
