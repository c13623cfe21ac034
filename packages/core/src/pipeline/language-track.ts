/**
 * Everything one target language costs: translation, synthesis and encoding of each sentence,
 * in order. A track exists only while the language has listeners; closing it aborts in-flight
 * work, so a language nobody hears stops costing anything.
 *
 * Two stages, each a serial queue, so that sentence N+1 is translated (and its caption shown)
 * while sentence N is still being spoken.
 */
import { AudioPacketFlag, ErrorCode } from '@babelcast/protocol';
import { StreamingResampler } from '../audio/resampler.ts';
import { frameSamples } from '../engines/codec.ts';
import type { EngineSet } from '../engines/index.ts';
import type { MessageBus } from '../hub/bus.ts';
import { subjects } from '../hub/bus.ts';
import { SerialQueue } from './serial-queue.ts';
import type { PipelineContext, Sentence } from './types.ts';

export interface LanguageTrackOptions {
  /** Synthesize voice for this language (false when no TTS voice exists or target = source). */
  voice: boolean;
  ttsRate: number;
  /** Opus frames per audio packet; 10 × 20 ms = 200 ms, which halves per-message fan-out cost vs 100 ms. */
  framesPerPacket: number;
  maxPendingTranslations: number;
  maxPendingVoice: number;
}

interface Translated extends Sentence {
  translation: string;
}

export class LanguageTrack {
  private readonly abort = new AbortController();
  private readonly mtQueue: SerialQueue<Sentence>;
  private readonly ttsQueue: SerialQueue<Translated>;
  private readonly encoder;
  private closed = false;

  constructor(
    readonly language: string,
    private readonly ctx: PipelineContext,
    private readonly engines: EngineSet,
    private readonly bus: MessageBus,
    private readonly options: LanguageTrackOptions,
  ) {
    this.encoder = options.voice ? engines.codec.createEncoder() : null;
    this.mtQueue = new SerialQueue(
      (s) => this.translate(s),
      options.maxPendingTranslations,
      'drop-oldest',
      (s) => this.skipped(s, 'translation'),
    );
    this.ttsQueue = new SerialQueue(
      (s) => this.speak(s),
      options.maxPendingVoice,
      'drop-oldest',
      (s) => this.skipped(s, 'voice'),
    );
  }

  enqueue(sentence: Sentence): void {
    this.mtQueue.push(sentence);
  }

  /** Resolves when every queued sentence has been translated and voiced. */
  async idle(): Promise<void> {
    await this.mtQueue.idle();
    await this.ttsQueue.idle();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.mtQueue.close();
    this.ttsQueue.close();
    this.encoder?.close();
  }

  private publish(message: Parameters<MessageBus['publish']>[1]): void {
    if (!this.closed) this.bus.publish(subjects.output(this.ctx.sessionId), message);
  }

  private async translate(s: Sentence): Promise<void> {
    if (this.closed) return;
    const { ctx } = this;
    let translation = s.text;
    if (this.language !== ctx.sourceLanguage) {
      const started = ctx.now();
      try {
        translation = await this.engines.mt.translate({
          text: s.text,
          from: ctx.sourceLanguage,
          to: this.language,
          signal: this.abort.signal,
        });
      } catch (err) {
        if (this.closed) return;
        ctx.observer.engineFailure('mt', this.engines.mt.info.id);
        ctx.logger.warn(
          { err, lang: this.language, segmentId: s.segmentId },
          'translation failed; sentence skipped',
        );
        this.notice(s.segmentId, `Translation failed for one sentence; it was skipped.`);
        return;
      }
      ctx.observer.stageLatency('mt', this.language, (ctx.now() - started) / 1000);
    }
    if (this.closed) return;
    const seq = ctx.nextSeq();
    const emittedAt = ctx.now();
    this.publish({
      type: 'caption',
      event: {
        type: 'caption',
        kind: 'translation',
        seq,
        segmentId: s.segmentId,
        lang: this.language,
        text: translation,
        mediaStartMs: s.mediaStartMs,
        mediaEndMs: s.mediaEndMs,
        emittedAt,
      },
    });
    const lagMs = emittedAt - s.endpointWallMs;
    ctx.observer.stageLatency('caption_translation_e2e', this.language, lagMs / 1000);
    this.publish({ type: 'lag', lang: this.language, textMs: lagMs });
    ctx.onTranscript({
      sessionId: ctx.sessionId,
      segmentId: s.segmentId,
      seq,
      lang: this.language,
      kind: 'translation',
      text: translation,
      mediaStartMs: s.mediaStartMs,
      mediaEndMs: s.mediaEndMs,
      createdAt: emittedAt,
    });
    if (this.options.voice && translation.trim()) this.ttsQueue.push({ ...s, translation });
  }

  private async speak(s: Translated): Promise<void> {
    if (this.closed || !this.encoder) return;
    const { ctx } = this;
    const codec = this.engines.codec.capabilities;
    const perFrame = frameSamples(codec);
    const started = ctx.now();
    let resampler: StreamingResampler | null = null;
    let carry = new Int16Array(0);
    let frames: Uint8Array[] = [];
    let packetIndex = 0;
    let framesSent = 0;
    let first = true;
    const flushPacket = (last: boolean) => {
      if (frames.length === 0 && !last) return;
      const offsetMs = (framesSent - frames.length) * codec.frameDurationMs;
      const flags =
        (packetIndex === 0 ? AudioPacketFlag.SEGMENT_START : 0) | (last ? AudioPacketFlag.SEGMENT_END : 0);
      this.publish({
        type: 'audio',
        packet: {
          seq: ctx.nextSeq(),
          segmentId: s.segmentId,
          packetIndex: packetIndex++,
          offsetMs,
          mediaStartMs: s.mediaStartMs,
          mediaEndMs: s.mediaEndMs,
          sampleRate: codec.sampleRate,
          frameDurationMs: codec.frameDurationMs,
          language: this.language,
          flags,
          frames,
        },
      });
      if (first) {
        first = false;
        ctx.observer.stageLatency('tts_first_audio', this.language, (ctx.now() - started) / 1000);
        ctx.observer.stageLatency(
          'audio_first_packet_e2e',
          this.language,
          (ctx.now() - s.endpointWallMs) / 1000,
        );
      }
      frames = [];
    };
    const encode = (pcm: Int16Array) => {
      const joined = new Int16Array(carry.length + pcm.length);
      joined.set(carry, 0);
      joined.set(pcm, carry.length);
      let at = 0;
      for (; at + perFrame <= joined.length; at += perFrame) {
        frames.push(this.encoder!.encodeFrame(joined.subarray(at, at + perFrame)));
        framesSent++;
        if (frames.length >= this.options.framesPerPacket) flushPacket(false);
      }
      carry = joined.slice(at);
    };
    try {
      for await (const chunk of this.engines.tts.synthesize({
        text: s.translation,
        language: this.language,
        rate: this.options.ttsRate,
        signal: this.abort.signal,
      })) {
        if (this.closed) return;
        resampler ??= new StreamingResampler(chunk.sampleRate, codec.sampleRate);
        encode(resampler.push(chunk.samples));
      }
      if (this.closed) return;
      if (resampler) encode(resampler.flush());
      if (carry.length > 0) {
        const padded = new Int16Array(perFrame);
        padded.set(carry);
        carry = new Int16Array(0);
        encode(padded);
      }
      flushPacket(true);
      ctx.observer.stageLatency('tts_total', this.language, (ctx.now() - started) / 1000);
      ctx.observer.audioSeconds('synthesized', this.language, (framesSent * codec.frameDurationMs) / 1000);
    } catch (err) {
      if (this.closed) return;
      ctx.observer.engineFailure('tts', this.engines.tts.info.id);
      ctx.logger.warn(
        { err, lang: this.language, segmentId: s.segmentId },
        'speech synthesis failed; voice skipped',
      );
      // Close the segment's audio so players do not wait for the rest of it.
      if (packetIndex > 0) flushPacket(true);
      this.notice(s.segmentId, 'Voice failed for one sentence; its caption is still shown.');
    }
  }

  private skipped(s: Sentence, what: 'voice' | 'translation'): void {
    this.ctx.observer.dropped(what, this.language);
    this.notice(
      s.segmentId,
      what === 'voice'
        ? 'Voice fell behind the speaker; one sentence is shown as a caption only.'
        : 'Translation fell behind the speaker; one sentence was skipped.',
    );
  }

  private notice(segmentId: number, message: string): void {
    this.publish({
      type: 'notice',
      notice: { type: 'notice', code: ErrorCode.ENGINE_FAILED, message, segmentId, lang: this.language },
    });
  }
}
