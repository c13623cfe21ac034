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
import { performance } from 'node:perf_hooks';
import {
  AudioPacketFlag,
  encodeSpeakerAudioFrame,
  PROTOCOL_VERSION,
  SPEAKER_SAMPLE_RATE,
} from '@babelcast/protocol';
import { ReplayConnection } from './connection.ts';
import { listenerEvent } from './listener-events.ts';
import { createSession, ownServer, voicedLanguages } from './replay-server.ts';
import { loadSpeakerAudio } from './speaker-audio.ts';
import { summarize } from './summary.ts';
import type { ReplayEvent, ReplayOptions, ReplayResult } from './types.ts';

const CONNECT_TIMEOUT_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** A replay's options with their defaults, checked. */
function settings(options: ReplayOptions) {
  const listen = [...new Set(options.listen)];
  if (listen.length === 0) throw new Error('give at least one listener language');
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new Error(`speed must be positive, got ${speed}`);
  const frameMs = options.frameMs ?? 200;
  const settleMs = options.settleMs ?? 3000;
  return {
    listen,
    speed,
    frameMs,
    frameSamples: (SPEAKER_SAMPLE_RATE * frameMs) / 1000,
    silenceMs: options.trailingSilenceMs ?? 1500,
    settleMs,
    openSettleMs: Math.max(settleMs, options.openSettleMs ?? 15_000),
    maxSettleMs: options.maxSettleMs ?? 120_000,
  };
}

type Settings = ReturnType<typeof settings>;

function speakerSamples(options: ReplayOptions, info: (line: string) => void): Int16Array {
  if (options.samples) return options.samples;
  if (!options.file) throw new Error('replay needs a file or samples');
  const audio = loadSpeakerAudio(options.file);
  if (audio.converted) info(`${options.file}: ${audio.converted}`);
  return audio.samples;
}

/**
 * What one run records: every event in arrival order, and the clock it is timed by (`t0` is set
 * when the first frame is sent; `lastEventAt` is what the settle waits on).
 */
class Recording {
  readonly events: ReplayEvent[] = [];
  t0 = Number.NaN;
  lastEventAt = 0;
  readonly clock = () => performance.now();

  constructor(private readonly onEvent?: (event: ReplayEvent) => void) {}

  emit(e: ReplayEvent): void {
    this.events.push(e);
    this.lastEventAt = this.clock();
    this.onEvent?.(e);
  }

  readonly since = (at: number) => (Number.isNaN(this.t0) ? 0 : Math.round((at - this.t0) * 10) / 10);
}

export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const info = options.onInfo ?? (() => {});
  const samples = speakerSamples(options, info);
  const s = settings(options);

  const started = options.server ? null : await ownServer(options);
  if (started) info(`started a server at ${started.url}`);
  const base = (options.server?.url ?? started!.url).replace(/\/$/, '');
  const token = options.server?.token ?? started!.token;
  const wsBase = base.replace(/^http/, 'ws');
  const rec = new Recording(options.onEvent);
  const connections: ReplayConnection[] = [];

  try {
    const sessionId = await createSession(base, token, options.source, options.title ?? 'replay');
    const voiced = await voicedLanguages(base, options.source);
    // Listeners first, so they hear everything from the first frame on.
    const session = encodeURIComponent(sessionId);
    const listeners = await connectListeners(
      `${wsBase}/ws/listener?session=${session}`,
      s.listen,
      rec,
      connections,
    );
    const speaker = await connectSpeaker(`${wsBase}/ws/speaker?session=${session}`, token, rec, connections);
    await options.beforeStreaming?.(sessionId);

    const sentAt = await streamFrames(speaker, samples, s, rec);
    await settle(rec, s, listeners, () => isComplete(rec.events, s.listen, options.source, voiced));
    const wallMs = rec.clock() - rec.t0;
    speaker.connection.send(JSON.stringify({ type: 'end' }));

    const inputMs = Math.round((samples.length * 1000) / SPEAKER_SAMPLE_RATE);
    const { samples: replaySamples, ...rest } = summarize({
      events: rec.events,
      sentAt,
      frameMs: s.frameMs,
      source: options.source,
      listen: s.listen,
      audio: samples,
      inputMs,
    });
    return {
      events: rec.events,
      samples: replaySamples,
      summary: { ...rest, inputMs, wallMs: Math.round(wallMs), sessionId, server: base },
    };
  } finally {
    await Promise.all(connections.map((c) => c.close()));
    if (started) await started.stop();
  }
}

/**
 * One listener per language, each recording what it receives; resolves once all are welcomed.
 * Each connection joins `connections` as soon as it exists, so the run closes it whatever happens.
 */
async function connectListeners(
  url: string,
  listen: string[],
  rec: Recording,
  connections: ReplayConnection[],
): Promise<ReplayConnection[]> {
  const welcomed = new Set<string>();
  const listeners = listen.map((lang, index) => {
    const view = { lang, recordsSource: index === 0, since: rec.since };
    return new ReplayConnection(
      `${lang} listener`,
      `${url}&targetLanguage=${encodeURIComponent(lang)}`,
      rec.clock,
      (m) => {
        if (m.json?.type === 'welcome') welcomed.add(lang);
        const event = listenerEvent(m, view);
        if (event) rec.emit(event);
      },
    );
  });
  connections.push(...listeners);
  await Promise.all(
    listen.map((lang, i) =>
      listeners[i]!.until(() => welcomed.has(lang), CONNECT_TIMEOUT_MS, `the ${lang} listener's welcome`),
    ),
  );
  return listeners;
}

interface Speaker {
  connection: ReplayConnection;
  /** The highest frame sequence number the server has acknowledged. */
  acked(): number;
}

/** The speaker, connected, greeted with the token and ready for audio (in `connections` at once). */
async function connectSpeaker(
  url: string,
  token: string,
  rec: Recording,
  connections: ReplayConnection[],
): Promise<Speaker> {
  let ready = false;
  let acked = 0;
  const connection = new ReplayConnection('speaker', url, rec.clock, (m) => {
    if (m.json?.type === 'ready') ready = true;
    if (m.json?.type === 'ack') acked = Math.max(acked, m.json.seq as number);
  });
  connections.push(connection);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out connecting the speaker')), CONNECT_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    connection.ws.once('open', done);
    connection.ws.once('close', done);
  });
  connection.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, token }));
  await connection.until(() => ready, CONNECT_TIMEOUT_MS, 'the speaker to be ready');
  return { connection, acked: () => acked };
}

/**
 * The file, then silence so the endpointer closes the last utterance, one frame at a time on the
 * replay's schedule; resolves with each frame's send time once the server acknowledged them all.
 */
async function streamFrames(speaker: Speaker, samples: Int16Array, s: Settings, rec: Recording) {
  const { connection } = speaker;
  const silenceFrames = Math.ceil(s.silenceMs / s.frameMs);
  const fileFrames = Math.ceil(samples.length / s.frameSamples);
  const totalFrames = fileFrames + silenceFrames;
  const sentAt = new Float64Array(totalFrames);
  rec.t0 = rec.clock();
  for (let i = 0; i < totalFrames; i++) {
    await sleep(rec.t0 + (i * s.frameMs) / s.speed - rec.clock());
    if (connection.closed) break;
    const chunk =
      i < fileFrames
        ? samples.subarray(i * s.frameSamples, Math.min(samples.length, (i + 1) * s.frameSamples))
        : new Int16Array(s.frameSamples);
    sentAt[i] = rec.clock() - rec.t0;
    connection.send(encodeSpeakerAudioFrame({ seq: i + 1, captureTimeMs: Date.now(), samples: chunk }));
  }
  if (connection.closed) {
    const { code, reason } = connection.closed;
    throw new Error(`the server closed the speaker connection while streaming: ${code} ${reason}`);
  }
  await connection.until(
    () => speaker.acked() >= totalFrames,
    CONNECT_TIMEOUT_MS,
    'the last frames to be acknowledged',
  );
  return sentAt;
}

/**
 * Waits for the last events: stops once nothing has arrived for `settleMs` (longer while an
 * utterance still waits for its final); sooner once every segment is complete.
 */
async function settle(rec: Recording, s: Settings, listeners: ReplayConnection[], complete: () => boolean) {
  const open = () => {
    const finals = new Set(rec.events.filter((e) => e.type === 'final').map((e) => e.segment));
    return rec.events.some((e) => e.type === 'partial' && !finals.has(e.segment));
  };
  const lastFrameAt = rec.clock();
  rec.lastEventAt = Math.max(rec.lastEventAt, lastFrameAt);
  while (rec.clock() - lastFrameAt < s.maxSettleMs) {
    const quiet = rec.clock() - rec.lastEventAt;
    if (quiet >= s.openSettleMs || (quiet >= s.settleMs && !open())) break;
    if (quiet >= Math.min(500, s.settleMs) && complete()) break;
    if (listeners.every((c) => c.closed)) break;
    await sleep(50);
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
