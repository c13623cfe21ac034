/** What a replay returns: the events the listeners received, a summary of them and its samples. */
import type { Erasure, FromLastWord, Moment } from './metrics.ts';
import type { MeanPercentiles, Percentiles } from './stats.ts';

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
