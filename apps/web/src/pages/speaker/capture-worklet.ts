/**
 * Runs on the audio thread: mixes the microphone to mono, resamples to 16 kHz and posts one PCM16
 * frame every `frameMs`. Posting whole frames (5 a second) rather than every 128-sample render
 * quantum (375 a second) keeps the main thread idle.
 */
import { Downsampler, Framer, TARGET_RATE } from '../shared/pcm-framer.ts';
import { CLIP_LEVEL } from '../shared/input-stats.ts';

// AudioWorkletGlobalScope is not in TypeScript's DOM library; these are the parts used here.
declare const sampleRate: number;
declare function registerProcessor(name: string, ctor: unknown): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}

export interface CaptureFrameMessage {
  pcm: Int16Array;
  /** Largest raw sample magnitude and number of clipped raw samples during the frame. */
  peak: number;
  clipped: number;
}

class CaptureProcessor extends AudioWorkletProcessor {
  private readonly down = new Downsampler(sampleRate);
  private readonly framer: Framer;
  private peak = 0;
  private clipped = 0;
  private running = true;
  private mono = new Float32Array(128);

  constructor(options: { processorOptions?: { frameMs?: number } }) {
    super();
    const frameMs = options.processorOptions?.frameMs ?? 200;
    this.framer = new Framer((TARGET_RATE * frameMs) / 1000);
    this.port.onmessage = (ev: MessageEvent) => {
      if (ev.data === 'stop') this.running = false;
    };
  }

  process(inputs: Float32Array[][]): boolean {
    const channels = inputs[0];
    if (!channels || channels.length === 0) return this.running;
    const n = channels[0]!.length;
    if (this.mono.length !== n) this.mono = new Float32Array(n);
    const mono = this.mono;
    mono.fill(0);
    for (const ch of channels) for (let i = 0; i < n; i++) mono[i]! += ch[i]! / channels.length;
    for (let i = 0; i < n; i++) {
      const a = Math.abs(mono[i]!);
      if (a > this.peak) this.peak = a;
      if (a >= CLIP_LEVEL) this.clipped++;
    }
    for (const pcm of this.framer.push(this.down.push(mono))) {
      const msg: CaptureFrameMessage = { pcm, peak: this.peak, clipped: this.clipped };
      this.port.postMessage(msg, [pcm.buffer]);
      this.peak = 0;
      this.clipped = 0;
    }
    return this.running;
  }
}

registerProcessor('babelcast-capture', CaptureProcessor);
