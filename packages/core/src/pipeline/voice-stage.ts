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
import { type AudioFrameEncoder, type CodecCapabilities, frameSamples } from '../engines/codec.ts';
import type { EngineSet } from '../engines/index.ts';
import type { SynthesizeRequest } from '../engines/tts.ts';
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
  /**
   * Which of the language's voices speaks (its packets and notices are tagged with it); absent or
   * DEFAULT_VOICE_ID: the default voice, asked for as before voices could be chosen.
   */
  voice?: string;
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
    this.notice(aheadOfSpeaker ? ErrorCode.VOICE_SKIPPED : ErrorCode.ENGINE_FAILED, message, segmentId);
  }

  private cursorFor(segmentId: number): SegmentCursor {
    if (this.cursor?.segmentId !== segmentId) this.cursor = { segmentId, packetIndex: 0, offsetMs: 0 };
    return this.cursor;
  }

  private async speak(chunk: VoiceChunk, catchUpRate: number): Promise<void> {
    if (this.closed) return;
    const { ctx } = this;
    const cursor = this.cursorFor(chunk.segmentId);
    const started = ctx.now();
    let playStart = 0;
    const packets = new ChunkPackets(
      this.engines.codec.capabilities,
      this.encoder,
      this.options.framesPerPacket,
      (frames, flags) => {
        this.publishPacket(chunk, cursor, frames, flags);
        if (flags & AudioPacketFlag.SEGMENT_START) this.firstPacket(chunk, started, (at) => (playStart = at));
      },
    );
    try {
      for await (const piece of this.engines.tts.synthesize(this.request(chunk, catchUpRate))) {
        if (this.closed) return;
        packets.push(piece.samples, piece.sampleRate);
      }
      if (this.closed) return;
      packets.finish();
      ctx.observer.stageLatency('tts_total', this.language, (ctx.now() - started) / 1000);
      ctx.observer.audioSeconds('synthesized', this.language, packets.ms / 1000);
    } catch (err) {
      if (this.closed) return;
      // Close the chunk's audio so players do not wait for the rest of it.
      if (packets.count > 0) packets.flush(true);
      this.failed(chunk, err);
    } finally {
      if (packets.count > 0) this.playoutEndWall = Math.max(this.playoutEndWall, playStart + packets.ms);
    }
  }

  /** What the voice engine is asked for: the speaker's pace and emphasis, around (never against) catch-up. */
  private request(chunk: VoiceChunk, catchUpRate: number): SynthesizeRequest {
    const prosody = chunk.prosody ? voiceProsodyFor(chunk.prosody) : NEUTRAL_VOICE;
    const { ttsRate, catchUp, voice } = this.options;
    return {
      text: chunk.translation,
      language: this.language,
      rate: combinedRate(ttsRate, catchUpRate, prosody.rate, catchUp?.maxRate ?? 1),
      ...(prosody.volume !== 1 && { volume: prosody.volume }),
      ...(prosody.pitch !== 1 && { pitch: prosody.pitch }),
      // The default voice is asked for as today: by nobody naming one.
      ...(voice && { voice }),
      signal: this.signal,
    };
  }

  private publishPacket(chunk: VoiceChunk, cursor: SegmentCursor, frames: Uint8Array[], flags: number): void {
    const codec = this.engines.codec.capabilities;
    const { voice } = this.options;
    this.publish({
      type: 'audio',
      packet: {
        seq: this.ctx.nextSeq(),
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
        ...(voice && { voice }),
      },
    });
    cursor.offsetMs += frames.length * codec.frameDurationMs;
  }

  private failed(chunk: VoiceChunk, err: unknown): void {
    const { ctx } = this;
    ctx.observer.engineFailure('tts', this.engines.tts.info.id);
    ctx.logger.warn(
      { err, lang: this.language, voice: this.options.voice, segmentId: chunk.segmentId },
      'speech synthesis failed; voice skipped',
    );
    this.notice(
      ErrorCode.ENGINE_FAILED,
      'Voice failed for one sentence; its caption is still shown.',
      chunk.segmentId,
    );
  }

  private notice(code: ErrorCode, message: string, segmentId: number): void {
    const { voice } = this.options;
    this.publish({
      type: 'notice',
      notice: { type: 'notice', code, message, segmentId, lang: this.language },
      // Only this voice's listeners hear what happened to it.
      ...(voice !== undefined && { voice }),
    });
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
    const { voice } = this.options;
    this.publish({ type: 'lag', lang: this.language, voiceMs: lagMs, ...(voice && { voice }) });
  }
}

/**
 * One chunk's voice on its way out: PCM of any rate in, resampled to the codec's, cut into codec
 * frames, encoded and grouped into packets of `framesPerPacket`; the first packet is flagged
 * SEGMENT_START and the last SEGMENT_END (a chunk's own start and end).
 */
class ChunkPackets {
  /** Packets emitted so far. */
  count = 0;
  /** Voice emitted so far, ms. */
  ms = 0;
  private resampler: StreamingResampler | null = null;
  private carry = new Int16Array(0);
  private frames: Uint8Array[] = [];
  private readonly perFrame: number;

  constructor(
    private readonly codec: CodecCapabilities,
    private readonly encoder: AudioFrameEncoder,
    private readonly framesPerPacket: number,
    private readonly emit: (frames: Uint8Array[], flags: number) => void,
  ) {
    this.perFrame = frameSamples(codec);
  }

  push(samples: Int16Array, sampleRate: number): void {
    this.resampler ??= new StreamingResampler(sampleRate, this.codec.sampleRate);
    this.encode(this.resampler.push(samples));
  }

  /** The voice is complete: the rest goes out, padded to a whole frame, as the last packet. */
  finish(): void {
    if (this.resampler) this.encode(this.resampler.flush());
    if (this.carry.length > 0) {
      const padded = new Int16Array(this.perFrame);
      padded.set(this.carry);
      this.carry = new Int16Array(0);
      this.encode(padded);
    }
    this.flush(true);
  }

  flush(last: boolean): void {
    if (this.frames.length === 0 && !last) return;
    const flags =
      (this.count === 0 ? AudioPacketFlag.SEGMENT_START : 0) | (last ? AudioPacketFlag.SEGMENT_END : 0);
    const frames = this.frames;
    this.frames = [];
    this.ms += frames.length * this.codec.frameDurationMs;
    this.count++;
    this.emit(frames, flags);
  }

  private encode(pcm: Int16Array): void {
    const joined = new Int16Array(this.carry.length + pcm.length);
    joined.set(this.carry, 0);
    joined.set(pcm, this.carry.length);
    let at = 0;
    for (; at + this.perFrame <= joined.length; at += this.perFrame) {
      this.frames.push(this.encoder.encodeFrame(joined.subarray(at, at + this.perFrame)));
      if (this.frames.length >= this.framesPerPacket) this.flush(false);
    }
    this.carry = joined.slice(at);
  }
}
