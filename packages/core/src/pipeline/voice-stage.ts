/**
 * The translated voice of one language: committed chunks are synthesised in order, resampled,
 * Opus-encoded and published as audio packets. A listener's voice never overlaps itself: chunks
 * are spoken one after another, and the stage models the listener's playout to know how far the
 * voice is behind the speaker.
 *
 * Keeping up (when `catchUp` is set, i.e. simultaneous mode):
 * - Chunks wait here, not in the listener's buffer: the next chunk is synthesised only when the
 *   listener has less than `PLAYOUT_LEAD_MS` of voice left to hear. Synthesis is many times faster
 *   than real time, so sending everything at once would hide the backlog where nothing can skip it.
 * - Above `targetLagMs` the voice speaks faster, linearly up to `maxRate` halfway to
 *   `skipAheadLagMs`.
 * - Above `skipAheadLagMs`, chunks waiting behind the newest are skipped (their captions were
 *   shown) and the listener is told. Together these bound the lag over a talk of any length.
 */
import { AudioPacketFlag, ErrorCode } from '@babelcast/protocol';
import { StreamingResampler } from '../audio/resampler.ts';
import { type AudioFrameEncoder, frameSamples } from '../engines/codec.ts';
import type { EngineSet } from '../engines/index.ts';
import type { SessionOutput } from '../bus/subjects.ts';
import { combinedRate, NEUTRAL_VOICE, voiceProsodyFor } from './prosody/voice-prosody.ts';
import type { VoiceTuning } from './tuning.ts';
import type { Chunk, PipelineContext } from './types.ts';

/** Voice a listener should still have buffered when the next chunk is synthesised, ms. */
export const PLAYOUT_LEAD_MS = 600;

export interface VoiceChunk extends Chunk {
  translation: string;
}

export interface VoiceStageOptions {
  /** The operator's base speaking rate; catch-up multiplies it. */
  ttsRate: number;
  framesPerPacket: number;
  /** Chunks waiting to be spoken; beyond it the oldest is skipped. */
  maxPending: number;
  /** Rate control and skip-ahead; null keeps a constant rate (sentence mode). */
  catchUp: VoiceTuning | null;
  /** How to wait (tests pass a fake clock's). */
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
  });

/** Continuation of a segment's audio across its chunks (packet numbering and offset). */
interface SegmentCursor {
  segmentId: number;
  packetIndex: number;
  offsetMs: number;
}

export class VoiceStage {
  private readonly queue: VoiceChunk[] = [];
  private running = false;
  private idleWaiters: (() => void)[] = [];
  private cursor: SegmentCursor | null = null;
  /** Wall time at which a listener who plays everything in order has heard all audio sent so far. */
  private playoutEndWall = 0;
  /** Smoothed time from a synthesis request to its first audio, ms. */
  private firstAudioMs = 100;
  /** Set by idle(): send what is queued without pacing. */
  private hurry = false;
  private closed = false;

  constructor(
    private readonly language: string,
    private readonly ctx: PipelineContext,
    private readonly engines: EngineSet,
    private readonly encoder: AudioFrameEncoder,
    private readonly publish: (message: SessionOutput) => void,
    private readonly signal: AbortSignal,
    private readonly options: VoiceStageOptions,
  ) {}

  push(chunk: VoiceChunk): void {
    if (this.closed) return;
    if (this.queue.length >= this.options.maxPending) {
      this.queue.shift();
      this.skipped(
        1,
        chunk.segmentId,
        'Voice fell behind the speaker; part of a sentence is shown as a caption only.',
      );
    }
    this.queue.push(chunk);
    void this.drain();
  }

  /**
   * Resolves when every chunk has been sent. Waiting callers (pause, end, shutdown) get the rest
   * at once instead of at the listener's playout pace.
   */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    this.hurry = true;
    return new Promise((r) => this.idleWaiters.push(r));
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    if (!this.running) this.wakeIdle();
  }

  /** How far behind the speaker the start of `chunk` would be heard if synthesis began now. */
  private expectedLag(chunk: Chunk): number {
    const heardAt = Math.max(this.ctx.now() + this.firstAudioMs, this.playoutEndWall);
    return heardAt - this.ctx.arrivalWall(chunk.mediaStartMs);
  }

  private rateFor(lagMs: number): number {
    const base = this.options.ttsRate;
    const c = this.options.catchUp;
    if (!c || lagMs <= c.targetLagMs) return base;
    // Full speed halfway to the skip threshold: speeding up late lets the backlog grow first.
    const ramp = Math.max(1, (c.skipAheadLagMs - c.targetLagMs) / 2);
    const boost = Math.min(1, (lagMs - c.targetLagMs) / ramp) * (c.maxRate - 1);
    return base * (1 + boost);
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        if (this.options.catchUp) await this.untilPlayoutNeedsMore();
        if (this.closed || this.queue.length === 0) break;
        let chunk = this.queue.shift()!;
        let lag = this.expectedLag(chunk);
        const c = this.options.catchUp;
        if (c && lag > c.skipAheadLagMs && this.queue.length > 0) {
          const skippedCount = this.queue.length;
          chunk = this.queue.pop()!;
          this.queue.length = 0;
          this.skipped(
            skippedCount,
            chunk.segmentId,
            'Voice skipped ahead to keep up with the speaker.',
            true,
          );
          lag = this.expectedLag(chunk);
        }
        await this.speak(chunk, this.rateFor(lag));
      }
    } finally {
      this.running = false;
      this.hurry = false;
      this.wakeIdle();
    }
  }

  private async untilPlayoutNeedsMore(): Promise<void> {
    const sleep = this.options.sleep ?? realSleep;
    for (;;) {
      const wait = this.playoutEndWall - PLAYOUT_LEAD_MS - this.ctx.now();
      if (wait <= 0 || this.closed || this.hurry) return;
      await sleep(Math.min(wait, 250));
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private skipped(count: number, segmentId: number, message: string, aheadOfSpeaker = false): void {
    for (let i = 0; i < count; i++) this.ctx.observer.dropped('voice', this.language);
    this.publish({
      type: 'notice',
      notice: {
        type: 'notice',
        code: aheadOfSpeaker ? ErrorCode.VOICE_SKIPPED : ErrorCode.ENGINE_FAILED,
        message,
        segmentId,
        lang: this.language,
      },
    });
  }

  private cursorFor(segmentId: number): SegmentCursor {
    if (this.cursor?.segmentId !== segmentId) this.cursor = { segmentId, packetIndex: 0, offsetMs: 0 };
    return this.cursor;
  }

  private async speak(chunk: VoiceChunk, catchUpRate: number): Promise<void> {
    if (this.closed) return;
    // The speaker's pace and emphasis, around (never against) the catch-up rate.
    const prosody = chunk.prosody ? voiceProsodyFor(chunk.prosody) : NEUTRAL_VOICE;
    const { ttsRate } = this.options;
    const rate = combinedRate(ttsRate, catchUpRate, prosody.rate, this.options.catchUp?.maxRate ?? 1);
    const { ctx } = this;
    const codec = this.engines.codec.capabilities;
    const perFrame = frameSamples(codec);
    const cursor = this.cursorFor(chunk.segmentId);
    const started = ctx.now();
    let resampler: StreamingResampler | null = null;
    let carry = new Int16Array(0);
    let frames: Uint8Array[] = [];
    let chunkPackets = 0;
    let chunkMs = 0;
    let playStart = 0;
    const flushPacket = (last: boolean) => {
      if (frames.length === 0 && !last) return;
      const flags =
        (chunkPackets === 0 ? AudioPacketFlag.SEGMENT_START : 0) | (last ? AudioPacketFlag.SEGMENT_END : 0);
      this.publish({
        type: 'audio',
        packet: {
          seq: ctx.nextSeq(),
          segmentId: chunk.segmentId,
          packetIndex: cursor.packetIndex++,
          offsetMs: cursor.offsetMs,
          mediaStartMs: chunk.mediaStartMs,
          mediaEndMs: chunk.mediaEndMs,
          sampleRate: codec.sampleRate,
          frameDurationMs: codec.frameDurationMs,
          language: this.language,
          flags,
          frames,
        },
      });
      const ms = frames.length * codec.frameDurationMs;
      cursor.offsetMs += ms;
      chunkMs += ms;
      frames = [];
      if (chunkPackets++ === 0) this.firstPacket(chunk, started, (at) => (playStart = at));
    };
    const encode = (pcm: Int16Array) => {
      const joined = new Int16Array(carry.length + pcm.length);
      joined.set(carry, 0);
      joined.set(pcm, carry.length);
      let at = 0;
      for (; at + perFrame <= joined.length; at += perFrame) {
        frames.push(this.encoder.encodeFrame(joined.subarray(at, at + perFrame)));
        if (frames.length >= this.options.framesPerPacket) flushPacket(false);
      }
      carry = joined.slice(at);
    };
    try {
      for await (const piece of this.engines.tts.synthesize({
        text: chunk.translation,
        language: this.language,
        rate,
        ...(prosody.volume !== 1 && { volume: prosody.volume }),
        ...(prosody.pitch !== 1 && { pitch: prosody.pitch }),
        signal: this.signal,
      })) {
        if (this.closed) return;
        resampler ??= new StreamingResampler(piece.sampleRate, codec.sampleRate);
        encode(resampler.push(piece.samples));
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
      ctx.observer.audioSeconds('synthesized', this.language, chunkMs / 1000);
    } catch (err) {
      if (this.closed) return;
      ctx.observer.engineFailure('tts', this.engines.tts.info.id);
      ctx.logger.warn(
        { err, lang: this.language, segmentId: chunk.segmentId },
        'speech synthesis failed; voice skipped',
      );
      // Close the chunk's audio so players do not wait for the rest of it.
      if (chunkPackets > 0) flushPacket(true);
      this.publish({
        type: 'notice',
        notice: {
          type: 'notice',
          code: ErrorCode.ENGINE_FAILED,
          message: 'Voice failed for one sentence; its caption is still shown.',
          segmentId: chunk.segmentId,
          lang: this.language,
        },
      });
    } finally {
      if (chunkPackets > 0) this.playoutEndWall = Math.max(this.playoutEndWall, playStart + chunkMs);
    }
  }

  /** The first packet of a chunk is out: when will it be heard, and how far behind is that? */
  private firstPacket(chunk: Chunk, started: number, setPlayStart: (at: number) => void): void {
    const { ctx } = this;
    const now = ctx.now();
    this.firstAudioMs = 0.8 * this.firstAudioMs + 0.2 * (now - started);
    const playStart = Math.max(now, this.playoutEndWall);
    setPlayStart(playStart);
    const lagMs = playStart - ctx.arrivalWall(chunk.mediaStartMs);
    ctx.observer.stageLatency('tts_first_audio', this.language, (now - started) / 1000);
    ctx.observer.stageLatency('audio_first_packet_e2e', this.language, (now - chunk.committedWallMs) / 1000);
    ctx.observer.stageLatency('voice_lag', this.language, lagMs / 1000);
    this.publish({ type: 'lag', lang: this.language, voiceMs: lagMs });
  }
}
