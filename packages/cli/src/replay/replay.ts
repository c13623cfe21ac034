/**
 * The replay client: plays a recording into a Babelcast server as a speaker, in real time (or
 * `speed` times faster), with one listener per target language, and records what each listener
 * receives and when. The CLI's `replay` command prints the result; the benchmarks aggregate it.
 *
 * Time origin: `receivedMs` is measured from the moment the first audio frame was sent. Latency
 * and lag are measured from when the audio in question was *sent* (each frame's actual send
 * time, so timer jitter in the client does not count against the server). The lag definitions
 * (text and voice behind each moment of speech, drift, erasure, from the last word) live in
 * metrics.ts; see docs/benchmarks.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLogger } from '@babelcast/core';
import {
  AudioPacketFlag,
  type CaptionEvent,
  type DraftEvent,
  decodeListenerAudioPacket,
  encodeSpeakerAudioFrame,
  type LanguagesResponse,
  PROTOCOL_VERSION,
  SPEAKER_SAMPLE_RATE,
} from '@babelcast/protocol';
import type { RunningServer } from '@babelcast/server';
import { type Incoming, ReplayConnection } from './connection.ts';
import {
  type Erasure,
  energySpeechBounds,
  type FromLastWord,
  fromLastWord,
  languageLag,
  type Moment,
  normalizedErasure,
  speechMoments,
  speechSegments,
} from './metrics.ts';
import { loadSpeakerAudio } from './speaker-audio.ts';
import { type MeanPercentiles, meanPercentiles, type Percentiles, percentiles } from './stats.ts';

export type ReplayEventType = 'partial' | 'final' | 'translation' | 'draft' | 'audio';

export interface ReplayEvent {
  type: ReplayEventType;
  lang: string;
  segment: number;
  seq: number;
  /** Caption or draft text; absent on audio events. */
  text?: string;
  /** Captions and drafts: the span they cover. Audio: the span of speech the packet's voice chunk translates. */
  mediaStartMs: number;
  mediaEndMs: number;
  /** ms since the first audio frame was sent. */
  receivedMs: number;
  /** Audio events only: duration of the packet's audio. */
  durationMs?: number;
  /** Audio events only: packet number within the segment's voice, and its flags (1 first / 2 last packet of a chunk). */
  packetIndex?: number;
  flags?: number;
}

export type LatencyStage = 'partial' | 'final' | 'translation' | 'draft' | 'audio';

/** Lag behind the speaker of one target language, over every 100 ms moment of speech (metrics.ts). */
export interface LanguageLagSummary {
  text: MeanPercentiles;
  voice: MeanPercentiles;
}

export interface ReplaySummary {
  type: 'summary';
  /** Source language: every final in order; each target language: every translation in order. */
  transcript: Record<string, string>;
  /** From the end of each event's media span (the endpointer's close for finals), ms. */
  latencyMs: Record<LatencyStage, Percentiles>;
  /** Per target language: how far behind each moment of speech its text is shown and its voice heard. */
  lagMs: Record<string, LanguageLagSummary>;
  /** Per target language: mean voice lag of the last third of the talk minus that of the first third. */
  voiceDriftMs: Record<string, number | null>;
  /** Moments of speech the lag figures are over (the same for every language). */
  speechMoments: number;
  /** Per target language: moments never shown as text / never heard as voice (left out of lagMs). */
  unshownMoments: Record<string, number>;
  unvoicedMoments: Record<string, number>;
  /** Per target language: normalized erasure of the shown lines (null without translated words). */
  erasure: Record<string, number | null>;
  /** final, translation and first voice from the end of the last word (energy of the sent audio), ms. */
  fromLastWordMs: {
    final: MeanPercentiles;
    translation: MeanPercentiles;
    firstVoice: MeanPercentiles;
    speechEnd: 'energy';
  };
  /** Translated audio received per target language, ms. */
  audioMs: Record<string, number>;
  /** Length of the speech sent (without the trailing silence), ms. */
  inputMs: number;
  /** Wall time from the first frame sent to the end of the run, ms. */
  wallMs: number;
  sessionId: string;
  server: string;
}

/** The samples behind a summary's figures, so runs can be pooled (bench). */
export interface ReplaySamples extends Record<LatencyStage, number[]> {
  /** Per target language: lag of each moment (null = never), in `moments` order. */
  lag: Record<string, { text: Array<number | null>; voice: Array<number | null> }>;
  moments: Moment[];
  fromLastWord: FromLastWord;
  erasure: Record<string, Erasure>;
}

export interface ReplayResult {
  events: ReplayEvent[];
  summary: ReplaySummary;
  samples: ReplaySamples;
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
  /** `pipeline.mode` of the server started here (over the config file); default: the server's. */
  mode?: 'simultaneous' | 'sentence';
  /** 1 = real time (default); 4 = four times faster. */
  speed?: number;
  frameMs?: number;
  /** Silence sent after the file so the endpointer closes the last utterance. */
  trailingSilenceMs?: number;
  /** The run ends once no event has arrived for this long (default 3000)… */
  settleMs?: number;
  /** …or this long (default 15000) while a segment has partials but no final yet (a loaded recogniser). */
  openSettleMs?: number;
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
    // Loaded only here: a replay against --server (and the bench) never needs the server code.
    const { startServer } = await import('@babelcast/server');
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      logLevel: 'warn',
      configFile: options.configFile,
      logger: createLogger({ level: 'warn', destination: process.stderr }),
      ...(options.engines ? { engines: options.engines } : {}),
      ...(options.mode ? { pipeline: { mode: options.mode } } : {}),
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  // Measure a warm server, as a real one is when a talk starts (its warm-up runs at start).
  await server.warmedUp;
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
  const openSettleMs = Math.max(settleMs, options.openSettleMs ?? 15_000);
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
    const welcomed = new Set<string>();
    listen.forEach((lang, index) => {
      const onMessage = (m: Incoming) => {
        if (m.json) {
          const msg = m.json;
          if (msg.type === 'welcome') welcomed.add(lang);
          if (msg.type === 'draft') {
            const d = msg as unknown as DraftEvent;
            if (d.lang !== lang) return;
            emit({
              type: 'draft',
              lang: d.lang,
              segment: d.segment ?? d.segmentId,
              seq: d.seq,
              text: d.text,
              mediaStartMs: d.mediaStartMs,
              mediaEndMs: d.mediaEndMs,
              receivedMs: since(m.at),
            });
            return;
          }
          if (msg.type !== 'caption' || msg.replay) return;
          const c = msg as unknown as CaptionEvent;
          // Source captions go to every listener; record them once (from the first listener).
          if (c.kind !== 'translation' && index !== 0) return;
          if (c.kind === 'translation' && c.lang !== lang) return;
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
          emit({
            type: 'audio',
            lang: p.language,
            segment: p.segmentId,
            seq: p.seq,
            mediaStartMs: p.mediaStartMs,
            mediaEndMs: p.mediaEndMs,
            receivedMs: since(m.at),
            durationMs: p.frames.length * p.frameDurationMs,
            packetIndex: p.packetIndex,
            flags: p.flags,
          });
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

    // Settle: stop once nothing has arrived for `settleMs` (longer while an utterance still waits for
    // its final); sooner once every segment is complete.
    const open = () => {
      const finals = new Set(events.filter((e) => e.type === 'final').map((e) => e.segment));
      return events.some((e) => e.type === 'partial' && !finals.has(e.segment));
    };
    const lastFrameAt = clock();
    lastEventAt = Math.max(lastEventAt, lastFrameAt);
    const complete = () => isComplete(events, listen, options.source, voiced);
    while (clock() - lastFrameAt < maxSettleMs) {
      const quiet = clock() - lastEventAt;
      if (quiet >= openSettleMs || (quiet >= settleMs && !open())) break;
      if (quiet >= Math.min(500, settleMs) && complete()) break;
      if (connections.slice(0, listen.length).every((c) => c.closed)) break;
      await sleep(50);
    }
    const wallMs = clock() - t0;
    speaker.send(JSON.stringify({ type: 'end' }));

    const inputMs = Math.round((samples.length * 1000) / SPEAKER_SAMPLE_RATE);
    const { samples: replaySamples, ...rest } = summarize({
      events,
      sentAt: sentAt.subarray(0, totalFrames),
      frameMs,
      source: options.source,
      listen,
      audio: samples,
      inputMs,
    });
    return {
      events,
      samples: replaySamples,
      summary: {
        ...rest,
        inputMs,
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

/**
 * True once every final has its translation in every listened language, every non-empty
 * translation of a voiced language has been voiced to its last packet, and no draft is newer than
 * a language's last translation: then the run can stop without waiting `settleMs`.
 */
export function isComplete(
  events: readonly ReplayEvent[],
  listen: readonly string[],
  source: string,
  voiced: ReadonlySet<string>,
): boolean {
  const finals = events.filter((e) => e.type === 'final');
  if (finals.length === 0) return false;
  const ended = new Set<string>();
  for (const e of events)
    if (e.type === 'audio' && (e.flags ?? 0) & AudioPacketFlag.SEGMENT_END)
      ended.add(`${e.lang}:${e.segment}:${e.mediaStartMs}:${e.mediaEndMs}`);
  return listen.every((lang) => {
    const mine = events.filter((e) => e.lang === lang && (e.type === 'translation' || e.type === 'draft'));
    if (mine.at(-1)?.type === 'draft') return false;
    const translations = mine.filter((e) => e.type === 'translation');
    if (!finals.every((f) => translations.some((t) => t.segment === f.segment))) return false;
    if (!voiced.has(lang) || lang === source) return true;
    return translations.every(
      (t) => !t.text?.trim() || ended.has(`${lang}:${t.segment}:${t.mediaStartMs}:${t.mediaEndMs}`),
    );
  });
}

export function summarize(args: {
  events: ReplayEvent[];
  /** Send time of each frame, ms since the first. */
  sentAt: Float64Array;
  frameMs: number;
  source: string;
  listen: string[];
  /** The speech sent (16 kHz): where the speech is inside each final (end of the last word). */
  audio: Int16Array;
  inputMs: number;
}): Omit<ReplaySummary, 'inputMs' | 'wallMs' | 'sessionId' | 'server'> & { samples: ReplaySamples } {
  const { events, sentAt, frameMs } = args;
  // When the audio at media position `ms` left the client: the send time of the frame holding it.
  const sentAtMs = (ms: number) => {
    const frame = Math.min(sentAt.length - 1, Math.max(0, Math.ceil(ms / frameMs) - 1));
    return sentAt[frame]!;
  };
  const stages: Record<LatencyStage, number[]> = {
    partial: [],
    final: [],
    translation: [],
    draft: [],
    audio: [],
  };
  const wordsSeen = new Map<number, number>();
  const firstAudio = new Set<string>();
  for (const e of events) {
    switch (e.type) {
      case 'partial': {
        // A partial counts when it shows a word not shown before in this segment.
        const words = (e.text ?? '').trim().split(/\s+/).filter(Boolean).length;
        if (words > (wordsSeen.get(e.segment) ?? 0)) {
          wordsSeen.set(e.segment, words);
          stages.partial.push(e.receivedMs - sentAtMs(e.mediaEndMs));
        }
        break;
      }
      case 'final':
      case 'translation':
        stages[e.type].push(e.receivedMs - sentAtMs(e.mediaEndMs));
        break;
      case 'draft':
        if (e.text?.trim()) stages.draft.push(e.receivedMs - sentAtMs(e.mediaEndMs));
        break;
      case 'audio': {
        // First packet of each voice chunk (in sentence mode, of each segment), from its span's end.
        const key = `${e.lang}:${e.segment}:${e.mediaStartMs}:${e.mediaEndMs}`;
        if (firstAudio.has(key)) break;
        firstAudio.add(key);
        stages.audio.push(e.receivedMs - sentAtMs(e.mediaEndMs));
        break;
      }
    }
  }
  const targets = args.listen.filter((l) => l !== args.source);
  const transcript: Record<string, string> = {};
  transcript[args.source] = events
    .filter((e) => e.type === 'final')
    .map((e) => e.text)
    .join(' ');
  const audioMs: Record<string, number> = {};
  for (const lang of targets) {
    transcript[lang] = events
      .filter((e) => e.type === 'translation' && e.lang === lang)
      .map((e) => e.text)
      .join(' ');
    audioMs[lang] = events
      .filter((e) => e.type === 'audio' && e.lang === lang)
      .reduce((n, e) => n + (e.durationMs ?? 0), 0);
  }

  const bounds = energySpeechBounds(args.audio, SPEAKER_SAMPLE_RATE);
  const moments = speechMoments(speechSegments(events, bounds));
  const lagMs: Record<string, LanguageLagSummary> = {};
  const voiceDriftMs: Record<string, number | null> = {};
  const unshownMoments: Record<string, number> = {};
  const unvoicedMoments: Record<string, number> = {};
  const erasure: Record<string, number | null> = {};
  const lag: ReplaySamples['lag'] = {};
  const erasures: Record<string, Erasure> = {};
  for (const lang of targets) {
    const l = languageLag({ moments, events, lang, sentAtMs });
    lagMs[lang] = { text: l.text, voice: l.voice };
    voiceDriftMs[lang] = l.voiceDriftMs;
    unshownMoments[lang] = l.unshownMoments;
    unvoicedMoments[lang] = l.unvoicedMoments;
    lag[lang] = { text: l.textSamples, voice: l.voiceSamples };
    erasures[lang] = normalizedErasure(events, lang);
    erasure[lang] = erasures[lang].erasure;
  }
  const lastWord = fromLastWord({ events, languages: targets, bounds, sentAtMs });
  return {
    type: 'summary',
    transcript,
    latencyMs: {
      partial: percentiles(stages.partial),
      final: percentiles(stages.final),
      translation: percentiles(stages.translation),
      draft: percentiles(stages.draft),
      audio: percentiles(stages.audio),
    },
    lagMs,
    voiceDriftMs,
    speechMoments: moments.length,
    unshownMoments,
    unvoicedMoments,
    erasure,
    fromLastWordMs: {
      final: meanPercentiles(lastWord.final),
      translation: meanPercentiles(lastWord.translation),
      firstVoice: meanPercentiles(lastWord.firstVoice),
      speechEnd: 'energy',
    },
    audioMs,
    samples: { ...stages, lag, moments, fromLastWord: lastWord, erasure: erasures },
  };
}

/** One JSON line per event, with the fields in the documented order. */
export function eventLine(e: ReplayEvent): string {
  const base = { type: e.type, lang: e.lang, segment: e.segment, seq: e.seq };
  const media = { mediaStartMs: e.mediaStartMs, mediaEndMs: e.mediaEndMs, receivedMs: e.receivedMs };
  return JSON.stringify(
    e.type === 'audio'
      ? { ...base, ...media, durationMs: e.durationMs, packetIndex: e.packetIndex, flags: e.flags }
      : { ...base, text: e.text, ...media },
  );
}
