/**
 * Plays the translated speech of the listener's language: decodes each frame of each packet and
 * hands it to Web Audio at the time PlayoutSchedule picks. Nothing plays until the listener taps
 * (browsers' autoplay rules); packets that arrive before are counted and dropped, since speech from
 * before the tap would only delay what is said now.
 */
import type { ListenerAudioPacket } from '@babelcast/protocol';
import { PlayoutContinuity } from '../shared/playout-continuity.ts';
import { PlayoutSchedule, voiceChunkKey } from '../shared/playout-schedule.ts';
import {
  createDecoder,
  type DecodedFrame,
  type DecoderKind,
  type FrameDecoder,
  isRawPcmFrame,
  pcm16ToFloat,
} from './decoders.ts';

interface FrameMeta {
  /** The voice chunk the frame belongs to (`voiceChunkKey`). */
  chunk: string;
  offset: number;
  generation: number;
}

export interface PlayerStats {
  packets: number;
  frames: number;
  decoded: number;
  scheduled: number;
  /** Voice chunks dropped because the listener was too far behind. */
  skippedChunks: number;
  decoder: DecoderKind | 'pcm' | null;
  backlogSec: number;
  contextState: AudioContextState | 'none';
  /** Silences inside a voice chunk and overlaps anywhere: both should stay 0. */
  gapsInChunks: number;
  overlaps: number;
  /** Loudest decoded sample so far: proves the decoder produced sound, not silence. */
  peak: number;
}

export class AudioPlayer {
  private context: AudioContext | null = null;
  private gain: GainNode | null = null;
  private decoder: FrameDecoder | null = null;
  private decoderLoading: Promise<FrameDecoder> | null = null;
  private readonly schedule = new PlayoutSchedule();
  private readonly pending = new Map<number, FrameMeta>();
  private readonly sources = new Set<AudioBufferSourceNode>();
  private nextKey = 0;
  /** Bumped on reset so frames decoded for the previous language are not played. */
  private generation = 0;
  private muted = false;
  private readonly counts = { packets: 0, frames: 0, decoded: 0, scheduled: 0 };
  private usedPcm = false;
  private readonly continuity = new PlayoutContinuity();
  /** Loudest decoded sample so far. */
  private peak = 0;

  constructor(private readonly preferDecoder: DecoderKind | null = null) {}

  /** Must run inside a user gesture (tap/click) for browsers to allow sound. */
  async unlock(): Promise<void> {
    if (!this.context) {
      this.context = new AudioContext({ latencyHint: 'playback' });
      this.gain = this.context.createGain();
      this.gain.gain.value = this.muted ? 0 : 1;
      this.gain.connect(this.context.destination);
    }
    await this.context.resume();
    this.ensureDecoder();
  }

  get unlocked(): boolean {
    return this.context?.state === 'running';
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    // Keep scheduling while muted so unmuting lands in the right place of the sentence.
    if (this.gain && this.context)
      this.gain.gain.setTargetAtTime(muted ? 0 : 1, this.context.currentTime, 0.01);
  }

  push(packet: ListenerAudioPacket): void {
    this.counts.packets++;
    this.counts.frames += packet.frames.length;
    if (this.context?.state !== 'running') return;
    const chunk = voiceChunkKey(packet);
    packet.frames.forEach((frame, i) => {
      const meta: FrameMeta = {
        chunk,
        offset: (packet.offsetMs + i * packet.frameDurationMs) / 1000,
        generation: this.generation,
      };
      if (isRawPcmFrame(frame, packet.sampleRate, packet.frameDurationMs)) {
        this.usedPcm = true;
        this.play(meta, pcm16ToFloat(frame), packet.sampleRate);
        return;
      }
      const key = this.nextKey++;
      this.pending.set(key, meta);
      if (this.decoder) this.decoder.decode(frame, key);
      else void this.ensureDecoder().then((d) => d.decode(frame, key));
    });
  }

  /** Stop what is queued (language switch): the new language starts from silence. */
  reset(): void {
    this.generation++;
    for (const s of this.sources) s.stop();
    this.sources.clear();
    this.pending.clear();
    this.schedule.reset();
    this.continuity.reset();
    this.decoder?.reset();
  }

  stats(): PlayerStats {
    return {
      ...this.counts,
      gapsInChunks: this.continuity.gapsInChunks,
      overlaps: this.continuity.overlaps,
      peak: this.peak,
      skippedChunks: this.schedule.skippedChunks,
      decoder: this.decoder?.kind ?? (this.usedPcm ? 'pcm' : null),
      backlogSec: this.context ? this.schedule.backlog(this.context.currentTime) : 0,
      contextState: this.context?.state ?? 'none',
    };
  }

  async close(): Promise<void> {
    this.decoder?.close();
    await this.context?.close();
  }

  private ensureDecoder(): Promise<FrameDecoder> {
    this.decoderLoading ??= createDecoder((f) => this.onDecoded(f), this.preferDecoder).then((d) => {
      this.decoder = d;
      return d;
    });
    return this.decoderLoading;
  }

  private onDecoded(f: DecodedFrame): void {
    const meta = this.pending.get(f.key);
    this.pending.delete(f.key);
    if (!meta) return;
    this.counts.decoded++;
    this.play(meta, f.samples, f.sampleRate);
  }

  private play(meta: FrameMeta, samples: Float32Array, sampleRate: number): void {
    const ctx = this.context;
    if (!ctx || !this.gain || meta.generation !== this.generation || samples.length === 0) return;
    const duration = samples.length / sampleRate;
    const at = this.schedule.place({ chunk: meta.chunk, offset: meta.offset, duration }, ctx.currentTime);
    if (at === null) return;
    this.continuity.note(meta.chunk, at, duration);
    this.notePeak(samples);
    const buffer = ctx.createBuffer(1, samples.length, sampleRate);
    buffer.copyToChannel(samples as Float32Array<ArrayBuffer>, 0);
    const src = ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(this.gain);
    src.onended = () => this.sources.delete(src);
    this.sources.add(src);
    src.start(at);
    this.counts.scheduled++;
  }

  private notePeak(samples: Float32Array): void {
    for (let i = 0; i < samples.length; i++) {
      const a = Math.abs(samples[i]!);
      if (a > this.peak) this.peak = a;
    }
  }
}
