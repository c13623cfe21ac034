/**
 * One speaker's audio in, captions and translated voice out, for one session:
 *
 *   pushAudio → Endpointer(VAD) → ASR stream → committed chunks (+ drafts) → LanguageTrack per
 *   demanded language
 *
 * Two modes (`mode`):
 * - `simultaneous` (default): while the speaker talks, the stable words of the utterance are
 *   shown as translated drafts and committed in chunks at pauses or clause-sized runs
 *   (UtteranceStabiliser), so listeners follow about as far behind as an interpreter would.
 * - `sentence`: nothing is translated until the endpointer closes the utterance; each sentence is
 *   one chunk. Higher lag, the reference for translation quality.
 *
 * Everything leaves through the message bus (`session.<id>.out`); which languages (and which of
 * their voices) to produce comes in through it too (`session.<id>.demand`). The pipeline never touches sockets, so it can
 * run in a different process or machine from the gateways that hold listeners.
 */
import type { Logger } from 'pino';
import { samplesToMs } from '../audio/pcm.ts';
import type { AsrEvent, AsrFinal, AsrStream, AsrWord } from '../engines/asr.ts';
import type { EngineSet } from '../engines/index.ts';
import type { MessageBus, Unsubscribe } from '../bus/bus.ts';
import {
  DEFAULT_VOICE_ID,
  DEMAND_REFRESH_MS,
  DEMAND_STALE_MS,
  type LanguageDemand,
  subjects,
} from '../bus/subjects.ts';
import { ArrivalClock } from './arrival-clock.ts';
import { Endpointer } from './endpointer.ts';
import { LanguageTrack, type LanguageTrackOptions } from './language-track.ts';
import { SpeakerProsodyMeter } from './prosody/speaker-prosody.ts';
import { chunkText, toSentences } from './sentences.ts';
import { UtteranceStabiliser } from './simultaneous/stabiliser.ts';
import { offeredVoices, voiceTrackId } from './voices.ts';
import type {
  EndpointingTuning,
  PipelineMode,
  SimultaneousTuning,
  TrackTuning,
  VoiceTuning,
} from './tuning.ts';
import type { PipelineContext, PipelineObserver, TranscriptSegment } from './types.ts';
import { nullObserver } from './types.ts';
import { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';

const RATE = SPEAKER_SAMPLE_RATE;

/** Committed chunks waiting for translation per language; beyond it the oldest is dropped. */
export const MAX_PENDING_TRANSLATIONS = 50;
/**
 * Chunks waiting for the voice per language; beyond it the oldest is skipped. Simultaneous-mode
 * chunks are shorter than sentences, so more of them may wait.
 */
export const MAX_PENDING_VOICE: Record<PipelineMode, number> = { simultaneous: 8, sentence: 4 };

/** The pipeline's slice of the config, resolved (the server's config schema holds the defaults). */
export interface PipelineSettings {
  endpointing: EndpointingTuning;
  track: TrackTuning;
  mode: PipelineMode;
  simultaneous: SimultaneousTuning;
  voice: VoiceTuning;
  /**
   * ASR backlog limits, seconds of speech: above `highSeconds` a `backlog high` event goes out on
   * the state subject (the speaker's gateway stops reading), at `lowSeconds` again `backlog low`.
   */
  backlog: { highSeconds: number; lowSeconds: number };
}

export interface SessionPipelineOptions extends PipelineSettings {
  sessionId: string;
  sourceLanguage: string;
  engines: EngineSet;
  bus: MessageBus;
  logger: Logger;
  observer?: PipelineObserver;
  /** Continue numbering after a restart so clients' `since` stays meaningful. */
  firstSeq?: number;
  firstSegmentId?: number;
  /**
   * Media time of the first sample pushed, in samples: a worker that takes a session over goes on
   * with its predecessor's media clock, so media times of captions stay comparable.
   */
  firstMediaSamples?: number;
  onTranscript?: (segment: TranscriptSegment) => void;
  now?: () => number;
}

interface Utterance {
  segmentId: number;
  startSample: number;
  /** Simultaneous mode: what is stable and committed so far. */
  stabiliser: UtteranceStabiliser | null;
  /** Chunks committed so far. */
  chunks: number;
}

export class SessionPipeline {
  private readonly ctx: PipelineContext;
  private readonly endpointer: Endpointer;
  private readonly vadStream;
  private readonly asr: AsrStream;
  private readonly tracks = new Map<string, LanguageTrack>();
  private readonly unsubscribe: Unsubscribe;
  private readonly trackOptions: Omit<LanguageTrackOptions, 'voice' | 'voices'>;
  private readonly mode: PipelineMode;
  private readonly tuning: SimultaneousTuning;
  private readonly arrivals: ArrivalClock;
  /** The speaker's pace and emphasis per committed chunk, for the voice (null when turned off). */
  private readonly prosody: SpeakerProsodyMeter | null;
  private seq: number;
  private nextSegmentId: number;
  private receivedSamples = 0;
  /** Media time of the endpointer's sample 0 (see firstMediaSamples). */
  private readonly mediaOffset: number;
  /** ASR tasks queued or running. */
  private asrPending = 0;
  /** Each gateway's latest demand (see LanguageDemand). */
  private readonly demands = new Map<string, LanguageDemand>();
  private readonly demandTimer: NodeJS.Timeout;
  private markDemandKnown!: () => void;
  /**
   * Resolves once the first demand arrived. On a network bus it comes a moment after the pipeline
   * subscribes; a worker resuming a session waits for it, so the speech it recognises again is
   * translated into the languages listeners hear.
   */
  readonly demandKnown = new Promise<void>((resolve) => {
    this.markDemandKnown = resolve;
  });
  private current: Utterance | null = null;
  /** The utterance whose audio the recogniser is being fed now (lags `current` when ASR is busy). */
  private feeding: { utterance: Utterance; endSample: number } | null = null;
  /** ASR calls are serialised: audio of the next utterance waits for the previous final. */
  private asrChain: Promise<void> = Promise.resolve();
  private asrBacklogSamples = 0;
  private backlogHigh = false;
  private closed = false;

  constructor(private readonly options: SessionPipelineOptions) {
    const { engines } = options;
    this.seq = options.firstSeq ?? 0;
    this.nextSegmentId = options.firstSegmentId ?? 1;
    this.mediaOffset = options.firstMediaSamples ?? 0;
    this.receivedSamples = this.mediaOffset;
    this.mode = options.mode;
    this.tuning = options.simultaneous;
    this.prosody = options.voice.prosody !== false ? new SpeakerProsodyMeter() : null;
    const now = options.now ?? Date.now;
    this.arrivals = new ArrivalClock(now, undefined, samplesToMs(options.firstMediaSamples ?? 0, RATE));
    this.ctx = {
      sessionId: options.sessionId,
      sourceLanguage: options.sourceLanguage,
      logger: options.logger,
      observer: options.observer ?? nullObserver,
      now,
      nextSeq: () => ++this.seq,
      onTranscript: options.onTranscript ?? (() => {}),
      arrivalWall: (mediaMs) => this.arrivals.wallAt(mediaMs),
    };
    const simultaneous = this.mode === 'simultaneous';
    this.trackOptions = {
      ...options.track,
      maxPendingTranslations: MAX_PENDING_TRANSLATIONS,
      maxPendingVoice: MAX_PENDING_VOICE[this.mode],
      draftIntervalMs: this.tuning.draftIntervalMs,
      draftMaskWords: this.tuning.draftMaskWords,
      catchUp: simultaneous ? options.voice : null,
    };
    this.vadStream = engines.vad.createStream();
    this.endpointer = new Endpointer(this.vadStream, {
      ...options.endpointing,
      frameSamples: engines.vad.capabilities.frameSamples,
      sampleRate: RATE,
    });
    this.asr = engines.asr.createStream({
      language: options.sourceLanguage,
      onEvent: (event) => this.onAsrEvent(event),
    });
    this.unsubscribe = options.bus.subscribe(subjects.allDemand(options.sessionId), (m) => this.onDemand(m));
    // A gateway that died stops refreshing its demand: re-evaluate so its languages stop.
    this.demandTimer = setInterval(() => this.applyDemand(), DEMAND_REFRESH_MS);
    this.demandTimer.unref?.();
  }

  /** Media time reached, in samples (what a worker taking over starts from). */
  get mediaSamples(): number {
    return this.receivedSamples;
  }

  /** Last segment id handed out. */
  get lastSegmentId(): number {
    return this.nextSegmentId - 1;
  }

  /**
   * True when everything heard so far has been recognised and its captions published: no
   * utterance open, the recogniser idle, no translation waiting. The audio up to here never needs
   * to be recognised again (a worker acknowledges it on the bus at such points).
   */
  get quiet(): boolean {
    if (this.current || this.asrPending > 0) return false;
    for (const t of this.tracks.values()) if (t.translating) return false;
    return true;
  }

  /** Last seq handed out: gateways use it to tell clients where the stream stands. */
  get lastSeq(): number {
    return this.seq;
  }

  /** The voices being synthesised per language (DEFAULT_VOICE_ID: the default voice). */
  get activeVoices(): Record<string, string[]> {
    return Object.fromEntries([...this.tracks].map(([lang, t]) => [lang, t.voiceIds]));
  }

  /** Audio waiting for the recogniser, in seconds: grows if ASR is slower than real time. */
  get asrBacklogSeconds(): number {
    return this.asrBacklogSamples / RATE;
  }

  /** Feed 16 kHz mono speaker audio in order. Media time is the count of samples received. */
  pushAudio(samples: Int16Array): void {
    if (this.closed) return;
    this.receivedSamples += samples.length;
    this.prosody?.push(samples, this.receivedSamples);
    this.arrivals.advance((samples.length * 1000) / RATE);
    this.ctx.observer.audioSeconds('input', this.options.sourceLanguage, samples.length / RATE);
    for (const ev of this.endpointer.push(samples)) {
      if (ev.type === 'start') {
        this.current = {
          segmentId: this.nextSegmentId++,
          startSample: this.mediaOffset + ev.atSample,
          stabiliser:
            this.mode === 'simultaneous'
              ? new UtteranceStabiliser({ ...this.tuning, language: this.options.sourceLanguage })
              : null,
          chunks: 0,
        };
      } else if (ev.type === 'audio') {
        const utterance = this.current;
        if (!utterance) continue;
        this.asrBacklogSamples += ev.samples.length;
        this.backlogChanged(true);
        this.ctx.observer.audioSeconds('speech', this.options.sourceLanguage, ev.samples.length / RATE);
        this.enqueueAsr(async () => {
          this.asrBacklogSamples -= ev.samples.length;
          this.backlogChanged(false);
          this.feeding = { utterance, endSample: this.mediaOffset + ev.atSample + ev.samples.length };
          this.asr.write(ev.samples);
        });
      } else {
        this.endUtterance(this.mediaOffset + ev.atSample);
      }
    }
  }

  /** Close any open utterance (pause, end) and wait until all its output is published. */
  async flush(): Promise<void> {
    for (const ev of this.endpointer.flush())
      if (ev.type === 'end') this.endUtterance(this.mediaOffset + ev.atSample);
    await this.asrChain;
    await Promise.all([...this.tracks.values()].map((t) => t.idle()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.demandTimer);
    if (this.backlogHigh) this.publishBacklog('low');
    for (const t of this.tracks.values()) t.close();
    this.tracks.clear();
    await this.asrChain.catch(() => {});
    this.asr.close();
    this.vadStream.close();
  }

  private enqueueAsr(task: () => Promise<void>): void {
    this.asrPending++;
    this.asrChain = this.asrChain
      .then(task)
      .catch((err) => {
        this.ctx.observer.engineFailure('asr', this.options.engines.asr.info.id);
        this.ctx.logger.warn({ err }, 'speech recognition failed for one utterance');
      })
      .finally(() => {
        this.asrPending--;
      });
  }

  /** While above the limit every push says `high` (a speaker socket that just connected learns it too). */
  private backlogChanged(grew: boolean): void {
    const { highSeconds, lowSeconds } = this.options.backlog;
    if (grew && this.asrBacklogSeconds > highSeconds) this.publishBacklog('high');
    else if (!grew && this.backlogHigh && this.asrBacklogSeconds <= lowSeconds) this.publishBacklog('low');
  }

  private publishBacklog(level: 'high' | 'low'): void {
    this.backlogHigh = level === 'high';
    const seconds = this.asrBacklogSeconds;
    this.options.bus.publish(subjects.state(this.options.sessionId), { type: 'backlog', level, seconds });
  }

  private onDemand(message: LanguageDemand): void {
    if (this.closed) return;
    this.markDemandKnown();
    const previous = this.demands.get(message.gateway);
    if (previous && previous.at > message.at) return;
    this.demands.set(message.gateway, message);
    this.applyDemand();
  }

  /** Produce the union of what every gateway with a fresh demand wants. */
  private applyDemand(): void {
    if (this.closed) return;
    const wanted = this.wantedVoices();
    for (const [lang, track] of this.tracks) {
      if (!wanted.has(lang)) {
        track.close();
        this.tracks.delete(lang);
        this.ctx.logger.info({ lang }, 'language track stopped: no listeners');
      }
    }
    const { engines, sourceLanguage } = this.options;
    for (const [lang, voiceSet] of wanted) {
      const voices = [...voiceSet];
      const existing = this.tracks.get(lang);
      if (existing) {
        existing.setVoices(voices);
        continue;
      }
      const translatable =
        lang === sourceLanguage ||
        engines.mt.capabilities.pairs.some((p) => p.from === sourceLanguage && p.to === lang);
      if (!translatable) continue;
      const voice = lang !== sourceLanguage && engines.tts.capabilities.languages.includes(lang);
      this.tracks.set(
        lang,
        new LanguageTrack(lang, this.ctx, engines, this.options.bus, { ...this.trackOptions, voice, voices }),
      );
      this.ctx.logger.info({ lang, voice, voices }, 'language track started');
    }
  }

  /**
   * Languages and their voices heard on any gateway whose demand is fresh. A voice counts only if
   * the voice engine offers it for the language (whatever a gateway says), so no demand can make
   * more than one track per offered voice; a demand without voices (an older gateway) wants the
   * default voice.
   */
  private wantedVoices(): Map<string, Set<string>> {
    const now = Date.now();
    const wanted = new Map<string, Set<string>>();
    const offered = new Map<string, string[]>();
    for (const [gateway, d] of this.demands) {
      if (now - d.at > DEMAND_STALE_MS) {
        this.demands.delete(gateway);
        continue;
      }
      for (const lang of d.languages) {
        const voices = wanted.get(lang) ?? new Set<string>();
        wanted.set(lang, voices);
        const list = Array.isArray(d.voices?.[lang]) ? d.voices[lang] : [DEFAULT_VOICE_ID];
        if (!offered.has(lang)) offered.set(lang, offeredVoices(this.options.engines.tts, lang));
        for (const v of list) {
          const id = typeof v === 'string' ? voiceTrackId(offered.get(lang)!, v) : null;
          if (id !== null) voices.add(id);
        }
      }
    }
    return wanted;
  }

  private onAsrEvent(event: AsrEvent): void {
    const f = this.feeding;
    if (!f || this.closed || event.type !== 'interim') return;
    const { utterance } = f;
    if (event.text.trim()) {
      this.publishCaption(
        'partial',
        utterance.segmentId,
        event.text,
        samplesToMs(utterance.startSample, RATE),
        samplesToMs(f.endSample, RATE),
      );
    }
    const stabiliser = utterance.stabiliser;
    if (!stabiliser) return;
    const update = stabiliser.update(event);
    if (update.committed.length > 0) this.commitWords(utterance, update.committed, false);
    if (update.pendingChanged || update.committed.length > 0) this.showDraft(utterance, update.pending);
  }

  /** Utterance-relative word times → media ms. */
  private mediaMs(utterance: Utterance, utteranceMs: number): number {
    return samplesToMs(utterance.startSample, RATE) + utteranceMs;
  }

  private commitWords(utterance: Utterance, words: AsrWord[], ending: boolean): void {
    const text = chunkText(
      words.map((w) => w.word),
      this.options.sourceLanguage,
      this.options.engines.asr.capabilities.punctuated,
      { opensSentence: utterance.chunks === 0, endsSentence: ending },
    );
    if (!text) return;
    const chunk = {
      opensSentence: utterance.chunks++ === 0,
      segmentId: utterance.segmentId,
      text,
      mediaStartMs: Math.round(this.mediaMs(utterance, words[0]!.startMs)),
      mediaEndMs: Math.round(this.mediaMs(utterance, words.at(-1)!.endMs)),
      committedWallMs: this.ctx.now(),
    };
    const prosody = this.prosody?.measure(chunk.mediaStartMs, chunk.mediaEndMs, words.length);
    for (const track of this.tracks.values()) track.commit({ ...chunk, prosody });
  }

  private showDraft(utterance: Utterance, pending: AsrWord[]): void {
    const text =
      pending.length === 0
        ? ''
        : chunkText(
            pending.map((w) => w.word),
            this.options.sourceLanguage,
            this.options.engines.asr.capabilities.punctuated,
            { opensSentence: utterance.chunks === 0, endsSentence: false },
          );
    const first = pending[0];
    const last = pending.at(-1);
    const draft = {
      segmentId: utterance.segmentId,
      text,
      mediaStartMs: first ? this.mediaMs(utterance, first.startMs) : 0,
      mediaEndMs: last ? this.mediaMs(utterance, last.endMs) : 0,
      wordEndsMs: pending.map((w) => Math.round(this.mediaMs(utterance, w.endMs))),
      afterChunks: utterance.chunks,
      opensSentence: utterance.chunks === 0,
    };
    for (const track of this.tracks.values()) track.showDraft(draft);
  }

  private endUtterance(atSample: number): void {
    const u = this.current;
    this.current = null;
    if (!u) return;
    const startMs = samplesToMs(u.startSample, RATE);
    const endMs = samplesToMs(atSample, RATE);
    this.enqueueAsr(async () => {
      const started = this.ctx.now();
      const result = await this.asr.finishUtterance();
      this.feeding = null;
      this.ctx.observer.stageLatency(
        'asr_final',
        this.options.sourceLanguage,
        (this.ctx.now() - started) / 1000,
      );
      if (this.closed) return;
      if (u.stabiliser) this.finishSimultaneous(u, result, startMs, endMs);
      else this.finishSentences(u, result, startMs, endMs);
    });
  }

  /** Sentence mode: every sentence of the utterance is a segment and a single chunk. */
  private finishSentences(u: Utterance, result: AsrFinal, startMs: number, endMs: number): void {
    const { punctuated } = this.options.engines.asr.capabilities;
    const sentences = toSentences(result.text, this.options.sourceLanguage, punctuated, startMs, endMs);
    const committedWallMs = this.ctx.now();
    sentences.forEach((s, i) => {
      // The utterance's reserved id goes to its first sentence, so partials line up with it.
      const segmentId = i === 0 ? u.segmentId : this.nextSegmentId++;
      this.publishFinal(segmentId, s.text, s.startMs, s.endMs);
      const prosody = this.prosody?.measure(s.startMs, s.endMs, s.text.split(/\s+/).length);
      for (const track of this.tracks.values()) {
        track.commit({
          segmentId,
          text: s.text,
          mediaStartMs: s.startMs,
          mediaEndMs: s.endMs,
          committedWallMs,
          opensSentence: true,
          prosody,
        });
        track.endSegment(segmentId);
      }
    });
  }

  /**
   * Simultaneous mode: what the final result adds after the committed chunks is the last chunk;
   * the source caption and transcript get the whole utterance as one readable segment.
   */
  private finishSimultaneous(u: Utterance, result: AsrFinal, startMs: number, endMs: number): void {
    const rest = u.stabiliser!.finish(result);
    if (rest.length > 0) this.commitWords(u, rest, true);
    const { punctuated } = this.options.engines.asr.capabilities;
    const text = toSentences(result.text, this.options.sourceLanguage, punctuated, startMs, endMs)
      .map((s) => s.text)
      .join(' ');
    if (text) this.publishFinal(u.segmentId, text, startMs, endMs);
    for (const track of this.tracks.values()) track.endSegment(u.segmentId);
  }

  private publishFinal(segmentId: number, text: string, startMs: number, endMs: number): void {
    const seq = this.publishCaption('final', segmentId, text, startMs, endMs);
    this.ctx.onTranscript({
      sessionId: this.options.sessionId,
      segmentId,
      seq,
      lang: this.options.sourceLanguage,
      kind: 'source',
      text,
      mediaStartMs: Math.round(startMs),
      mediaEndMs: Math.round(endMs),
      createdAt: this.ctx.now(),
    });
  }

  private publishCaption(
    kind: 'partial' | 'final',
    segmentId: number,
    text: string,
    startMs: number,
    endMs: number,
  ): number {
    const seq = this.ctx.nextSeq();
    this.options.bus.publish(subjects.output(this.options.sessionId), {
      type: 'caption',
      event: {
        type: 'caption',
        kind,
        seq,
        segmentId,
        lang: this.options.sourceLanguage,
        text,
        mediaStartMs: Math.round(startMs),
        mediaEndMs: Math.round(endMs),
        emittedAt: this.ctx.now(),
      },
    });
    return seq;
  }
}
