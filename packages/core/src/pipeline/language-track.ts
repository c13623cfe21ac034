/**
 * Everything one target language costs: translation of committed chunks and of drafts, and the
 * voice. A track exists only while the language has listeners; closing it aborts in-flight work,
 * so a language nobody hears stops costing anything.
 *
 * Translation is one serial stage so captions stay in order. Committed chunks always go first;
 * drafts wait in a single latest-wins slot and are translated only when no chunk is waiting and
 * at most once per `draftIntervalMs`, so a stale draft never queues behind a newer one. A draft is
 * published only right after the chunks it follows, and is dropped if a chunk overtook it.
 *
 * The voice (VoiceStage) speaks each translated chunk as it comes, so chunk N+1's caption appears
 * while chunk N is being voiced. A language has one voice stage per voice its listeners chose
 * (`setVoices`): translated once, synthesised once per voice heard, each voice its own track of
 * packets, playout model and catch-up.
 */
import { ErrorCode } from '@babelcast/protocol';
import type { EngineSet } from '../engines/index.ts';
import { withFullStop } from '../text/readable-text.ts';
import type { MessageBus } from '../bus/bus.ts';
import { DEFAULT_VOICE_ID, type SessionOutput, subjects } from '../bus/subjects.ts';
import type { VoiceTuning } from './tuning.ts';
import type { Chunk, DraftRequest, PipelineContext } from './types.ts';
import { VoiceStage } from './voice-stage.ts';
import { synthesizeAndDiscard, WARM_UP_PHRASE } from './warm-up.ts';

export interface LanguageTrackOptions {
  /** Synthesize voice for this language (false when no TTS voice exists or target = source). */
  voice: boolean;
  /**
   * The voices heard (DEFAULT_VOICE_ID for the default one); default: the default voice only.
   * Checked against the engine's offer by the caller.
   */
  voices?: readonly string[];
  ttsRate: number;
  /** Opus frames per audio packet; 10 × 20 ms = 200 ms, which halves per-message fan-out cost vs 100 ms. */
  framesPerPacket: number;
  maxPendingTranslations: number;
  maxPendingVoice: number;
  /** Minimum spacing of translated drafts, ms. */
  draftIntervalMs: number;
  /** Words hidden at the end of each translated draft (mask-k). */
  draftMaskWords: number;
  /** Voice catch-up policy; null = constant rate (sentence mode). */
  catchUp: VoiceTuning | null;
  /** Translate and synthesise a short phrase when the track starts, so its first real chunk is fast. */
  warmUp: boolean;
}

type MtJob = { kind: 'chunk'; chunk: Chunk } | { kind: 'end'; segmentId: number };

/** A segment's translation so far, written to the transcript as one sentence when it ends. */
interface SegmentTranslation {
  texts: string[];
  mediaStartMs: number;
  mediaEndMs: number;
  lastSeq: number;
}

export class LanguageTrack {
  private readonly abort = new AbortController();
  /** Voice stages by voice id (DEFAULT_VOICE_ID: the default voice); empty without a voice. */
  private readonly voices = new Map<string, { stage: VoiceStage; stop: () => void }>();
  private readonly jobs: MtJob[] = [];
  private draft: DraftRequest | null = null;
  private draftTimer: NodeJS.Timeout | null = null;
  private lastDraftAt = Number.NEGATIVE_INFINITY;
  private busy = false;
  private idleWaiters: (() => void)[] = [];
  /** Chunks received (committed) and published (translated) for the current segment. */
  private readonly received = new Map<number, number>();
  private readonly published = new Map<number, number>();
  private readonly segments = new Map<number, SegmentTranslation>();
  /** Segment whose line currently ends with a non-empty draft (cleared by its next translation). */
  private draftVisibleIn: number | null = null;
  private closed = false;

  constructor(
    readonly language: string,
    private readonly ctx: PipelineContext,
    private readonly engines: EngineSet,
    private readonly bus: MessageBus,
    private readonly options: LanguageTrackOptions,
  ) {
    for (const voice of options.voices ?? [DEFAULT_VOICE_ID]) this.addVoice(voice, false);
    if (options.warmUp) void this.warmUp();
  }

  /** Voice ids with a stage now. */
  get voiceIds(): string[] {
    return [...this.voices.keys()];
  }

  /**
   * The voices heard now: a new one speaks from the next translated chunk on, one nobody hears any
   * more stops at once (what it was saying is abandoned, its engine call aborted).
   */
  setVoices(voices: readonly string[]): void {
    if (this.closed) return;
    const wanted = new Set(voices);
    for (const [id, voice] of this.voices) {
      if (wanted.has(id)) continue;
      voice.stop();
      this.voices.delete(id);
      this.ctx.logger.info({ lang: this.language, voice: id }, 'voice stopped: no listeners');
    }
    for (const id of wanted) if (!this.voices.has(id)) this.addVoice(id, this.options.warmUp);
  }

  private addVoice(voice: string, warmUp: boolean): void {
    if (!this.options.voice || this.voices.has(voice)) return;
    const { options } = this;
    // Each voice its own abort: stopping one voice must not abort the translation or the others.
    const abort = new AbortController();
    const onTrackAbort = () => abort.abort();
    this.abort.signal.addEventListener('abort', onTrackAbort, { once: true });
    const stage = new VoiceStage(
      this.language,
      this.ctx,
      this.engines,
      this.engines.codec.createEncoder(),
      (m) => this.publish(m),
      abort.signal,
      {
        ttsRate: options.ttsRate,
        framesPerPacket: options.framesPerPacket,
        maxPending: options.maxPendingVoice,
        catchUp: options.catchUp,
        voice,
      },
    );
    const stop = () => {
      this.abort.signal.removeEventListener('abort', onTrackAbort);
      abort.abort();
      stage.close();
    };
    this.voices.set(voice, { stage, stop });
    if (warmUp && voice !== DEFAULT_VOICE_ID) void this.warmUpVoice(voice, abort.signal);
  }

  /** A committed chunk: translated (and voiced) for good, in order. */
  commit(chunk: Chunk): void {
    this.received.set(chunk.segmentId, (this.received.get(chunk.segmentId) ?? 0) + 1);
    this.push({ kind: 'chunk', chunk });
  }

  /** The segment has no more chunks: its transcript line can be written. */
  endSegment(segmentId: number): void {
    this.push({ kind: 'end', segmentId });
  }

  /** The newest draft of the segment being spoken; replaces any draft still waiting. */
  showDraft(draft: DraftRequest): void {
    if (this.closed) return;
    this.draft = draft;
    this.pump();
  }

  /** True while a chunk waits for or is in translation (voice may still be playing out). */
  get translating(): boolean {
    return this.busy || this.jobs.length > 0;
  }

  /** Resolves when every committed chunk has been translated and voiced. */
  async idle(): Promise<void> {
    if (this.busy || this.jobs.length > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    await Promise.all([...this.voices.values()].map((v) => v.stage.idle()));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.jobs.length = 0;
    this.draft = null;
    if (this.draftTimer) clearTimeout(this.draftTimer);
    for (const v of this.voices.values()) v.stop();
    this.voices.clear();
    this.wakeIdle();
  }

  private push(job: MtJob): void {
    if (this.closed) return;
    if (this.jobs.length >= this.options.maxPendingTranslations) {
      const dropped = this.jobs.shift()!;
      if (dropped.kind === 'end') this.writeTranscript(dropped.segmentId);
      else {
        this.ctx.observer.dropped('translation', this.language);
        this.notice(
          dropped.chunk.segmentId,
          'Translation fell behind the speaker; part of a sentence was skipped.',
        );
      }
    }
    this.jobs.push(job);
    this.pump();
  }

  /** Runs the next job: a committed chunk first, else a due draft. One at a time. */
  private pump(): void {
    if (this.busy || this.closed) return;
    const job = this.jobs.shift();
    if (job) {
      this.run(job.kind === 'chunk' ? this.translateChunk(job.chunk) : this.endJob(job.segmentId));
      return;
    }
    this.wakeIdle();
    const d = this.draft;
    if (!d) return;
    if (this.isStale(d)) {
      this.draft = null;
      return;
    }
    // Wait for the chunks this draft follows (their jobs will pump again when done).
    if ((this.published.get(d.segmentId) ?? 0) < d.afterChunks) return;
    const wait = this.lastDraftAt + this.options.draftIntervalMs - this.ctx.now();
    if (wait > 0) {
      if (!this.draftTimer) {
        this.draftTimer = setTimeout(() => {
          this.draftTimer = null;
          this.pump();
        }, wait);
        this.draftTimer.unref?.();
      }
      return;
    }
    this.draft = null;
    this.lastDraftAt = this.ctx.now();
    this.run(this.translateDraft(d));
  }

  private run(work: Promise<void>): void {
    this.busy = true;
    void work
      .catch((err) => this.ctx.logger.error({ err, lang: this.language }, 'language track job failed'))
      .finally(() => {
        this.busy = false;
        this.pump();
      });
  }

  private wakeIdle(): void {
    if (this.busy || this.jobs.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** A draft is stale once a chunk committed after it was made covers (part of) its words. */
  private isStale(d: DraftRequest): boolean {
    return (this.received.get(d.segmentId) ?? 0) > d.afterChunks || this.segmentEnded(d.segmentId);
  }

  private segmentEnded(segmentId: number): boolean {
    return this.received.has(segmentId) === false && this.published.has(segmentId);
  }

  private publish(message: SessionOutput): void {
    if (!this.closed) this.bus.publish(subjects.output(this.ctx.sessionId), message);
  }

  private async translateText(text: string, opensSentence = true): Promise<string> {
    if (this.language === this.ctx.sourceLanguage) return text;
    const out = await this.engines.mt.translate({
      text,
      from: this.ctx.sourceLanguage,
      to: this.language,
      signal: this.abort.signal,
    });
    // MT engines capitalise what they take for a sentence start; a chunk from the middle of a
    // sentence is not one (the source's own capital, e.g. a name, is kept).
    if (!opensSentence && /^\p{Ll}/u.test(text) && /^\p{Lu}\p{Ll}/u.test(out)) {
      return out.charAt(0).toLowerCase() + out.slice(1);
    }
    return out;
  }

  private async translateChunk(chunk: Chunk): Promise<void> {
    const { ctx } = this;
    const started = ctx.now();
    let translation: string;
    try {
      translation = await this.translateText(chunk.text, chunk.opensSentence);
    } catch (err) {
      if (this.closed) return;
      this.countPublished(chunk.segmentId);
      ctx.observer.engineFailure('mt', this.engines.mt.info.id);
      ctx.logger.warn(
        { err, lang: this.language, segmentId: chunk.segmentId },
        'translation failed; chunk skipped',
      );
      this.notice(chunk.segmentId, 'Translation failed for part of a sentence; it was skipped.');
      return;
    }
    if (this.closed) return;
    const emittedAt = ctx.now();
    if (this.language !== ctx.sourceLanguage)
      ctx.observer.stageLatency('mt', this.language, (emittedAt - started) / 1000);
    const seq = ctx.nextSeq();
    this.publish({
      type: 'caption',
      event: {
        type: 'caption',
        kind: 'translation',
        seq,
        segmentId: chunk.segmentId,
        lang: this.language,
        text: translation,
        mediaStartMs: chunk.mediaStartMs,
        mediaEndMs: chunk.mediaEndMs,
        emittedAt,
      },
    });
    this.countPublished(chunk.segmentId);
    if (this.draftVisibleIn === chunk.segmentId) this.draftVisibleIn = null;
    this.remember(chunk, translation, seq);
    ctx.observer.stageLatency(
      'caption_translation_e2e',
      this.language,
      (emittedAt - chunk.committedWallMs) / 1000,
    );
    this.reportTextLag(chunk.mediaEndMs, emittedAt);
    if (translation.trim()) for (const v of this.voices.values()) v.stage.push({ ...chunk, translation });
  }

  private countPublished(segmentId: number): void {
    this.published.set(segmentId, (this.published.get(segmentId) ?? 0) + 1);
  }

  private async translateDraft(d: DraftRequest): Promise<void> {
    let text = '';
    // An empty draft only clears a draft still on screen.
    if (!d.text.trim() && this.draftVisibleIn !== d.segmentId) return;
    if (d.text.trim()) {
      try {
        text = maskLastWords(await this.translateText(d.text, d.opensSentence), this.options.draftMaskWords);
      } catch {
        // A draft is disposable: the committed translation follows anyway.
        return;
      }
    }
    // A chunk committed while the draft was being translated covers its words: showing it now
    // would repeat them.
    if (this.closed || this.isStale(d)) return;
    // Hiding the last target words (mask-k) hides about as many source words: the draft covers the
    // speech up to the end of the last source word it still shows.
    const mask = this.options.draftMaskWords;
    const coveredEndMs = mask > 0 ? (d.wordEndsMs.at(-1 - mask) ?? d.mediaStartMs) : d.mediaEndMs;
    const emittedAt = this.publishDraft(d.segmentId, text, d.mediaStartMs, coveredEndMs);
    if (text) this.reportTextLag(coveredEndMs, emittedAt);
  }

  private publishDraft(segmentId: number, text: string, mediaStartMs: number, mediaEndMs: number): number {
    const emittedAt = this.ctx.now();
    this.publish({
      type: 'draft',
      event: {
        type: 'draft',
        lang: this.language,
        segment: segmentId,
        segmentId,
        seq: this.ctx.nextSeq(),
        text,
        mediaStartMs: Math.round(mediaStartMs),
        mediaEndMs: Math.round(mediaEndMs),
        emittedAt,
      },
    });
    this.draftVisibleIn = text ? segmentId : null;
    return emittedAt;
  }

  private reportTextLag(mediaEndMs: number, emittedAt: number): void {
    const lagMs = emittedAt - this.ctx.arrivalWall(mediaEndMs);
    this.ctx.observer.stageLatency('text_lag', this.language, lagMs / 1000);
    this.publish({ type: 'lag', lang: this.language, textMs: lagMs });
  }

  private remember(chunk: Chunk, translation: string, seq: number): void {
    const s = this.segments.get(chunk.segmentId);
    if (!s) {
      this.segments.set(chunk.segmentId, {
        texts: [translation],
        mediaStartMs: chunk.mediaStartMs,
        mediaEndMs: chunk.mediaEndMs,
        lastSeq: seq,
      });
      return;
    }
    s.texts.push(translation);
    s.mediaEndMs = chunk.mediaEndMs;
    s.lastSeq = seq;
  }

  private async endJob(segmentId: number): Promise<void> {
    // Words shown as a draft that the final result did not confirm must not stay on screen.
    if (this.draftVisibleIn === segmentId) this.publishDraft(segmentId, '', 0, 0);
    this.writeTranscript(segmentId);
  }

  /** Transcripts and exports read as whole sentences: one line per segment, its chunks joined. */
  private writeTranscript(segmentId: number): void {
    this.received.delete(segmentId);
    const s = this.segments.get(segmentId);
    this.segments.delete(segmentId);
    // Keep `published` only for the newest segment (staleness checks); older ones are done.
    for (const id of this.published.keys()) if (id < segmentId) this.published.delete(id);
    if (!s) return;
    this.ctx.onTranscript({
      sessionId: this.ctx.sessionId,
      segmentId,
      seq: s.lastSeq,
      lang: this.language,
      kind: 'translation',
      text: withFullStop(
        s.texts
          .map((t) => t.trim())
          .filter(Boolean)
          .join(' '),
        this.language,
      ),
      mediaStartMs: s.mediaStartMs,
      mediaEndMs: s.mediaEndMs,
      createdAt: this.ctx.now(),
    });
  }

  private async warmUp(): Promise<void> {
    // Apertium starts a pair's pipeline on first use and voices load their data on first use:
    // pay that now, not on the first listener's first sentence. Failures show up on real work.
    try {
      const text = await this.translateText(WARM_UP_PHRASE);
      // Every voice the track starts with (usually the default one alone), one after another.
      for (const voice of this.voices.keys()) {
        if (this.closed) break;
        await synthesizeAndDiscard(this.engines.tts, {
          text,
          language: this.language,
          ...(voice && { voice }),
          signal: this.abort.signal,
        });
      }
    } catch {
      // ignored: see above
    }
  }

  /** A voice chosen later loads its data now, not on its listener's first sentence. */
  private async warmUpVoice(voice: string, signal: AbortSignal): Promise<void> {
    try {
      const text = await this.translateText(WARM_UP_PHRASE);
      if (!signal.aborted)
        await synthesizeAndDiscard(this.engines.tts, { text, language: this.language, voice, signal });
    } catch {
      // ignored, as in warmUp
    }
  }

  private notice(segmentId: number, message: string): void {
    this.publish({
      type: 'notice',
      notice: { type: 'notice', code: ErrorCode.ENGINE_FAILED, message, segmentId, lang: this.language },
    });
  }
}

/** Drop the last `n` words (mask-k): the end of a re-translated prefix is what changes most. */
function maskLastWords(text: string, n: number): string {
  if (n <= 0) return text;
  const words = text.trim().split(/\s+/);
  return words.slice(0, Math.max(0, words.length - n)).join(' ');
}
