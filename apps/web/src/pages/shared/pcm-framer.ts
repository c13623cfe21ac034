/**
 * Turns the microphone's float samples (at whatever rate the AudioContext runs, usually 48 kHz)
 * into 16 kHz PCM16 frames of a fixed length. Runs inside the AudioWorklet, so it allocates little
 * and never blocks: one FIR low-pass (the ASR must not hear aliased 8–24 kHz noise as speech) and
 * linear interpolation, which also handles 44.1 kHz devices where the ratio is not an integer.
 */
import { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';

export const TARGET_RATE = SPEAKER_SAMPLE_RATE;

/** Windowed-sinc low-pass taps, cutoff as a fraction of the input rate. */
export function lowPassTaps(cutoff: number, count: number): Float32Array {
  const taps = new Float32Array(count);
  const mid = (count - 1) / 2;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const x = i - mid;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (count - 1));
    taps[i] = sinc * hann;
    sum += taps[i]!;
  }
  for (let i = 0; i < count; i++) taps[i]! /= sum;
  return taps;
}

export class Downsampler {
  private readonly step: number;
  private readonly taps: Float32Array | null;
  /** Last `taps.length - 1` inputs, so the filter is continuous across blocks. */
  private history: Float32Array;
  /** Filtered samples not yet consumed by interpolation; index 0 is at read position 0. */
  private pending: Float32Array = new Float32Array(0);
  private pos = 0;

  constructor(readonly inputRate: number) {
    if (inputRate < TARGET_RATE) throw new RangeError(`input rate ${inputRate} is below ${TARGET_RATE}`);
    this.step = inputRate / TARGET_RATE;
    // Cut a little below 8 kHz so the transition band ends before the new Nyquist frequency.
    this.taps = inputRate === TARGET_RATE ? null : lowPassTaps((0.45 * TARGET_RATE) / inputRate, 63);
    this.history = new Float32Array(this.taps ? this.taps.length - 1 : 0);
  }

  /** Feed float samples in [-1, 1]; returns the 16 kHz float samples they complete. */
  push(input: Float32Array): Float32Array {
    if (!this.taps) return input.slice();
    const filtered = this.filter(input);
    const buf = new Float32Array(this.pending.length + filtered.length);
    buf.set(this.pending, 0);
    buf.set(filtered, this.pending.length);
    const count = Math.max(0, Math.ceil((buf.length - 1 - this.pos) / this.step));
    const out = new Float32Array(count);
    for (let k = 0; k < count; k++) {
      const i = Math.floor(this.pos);
      const frac = this.pos - i;
      out[k] = buf[i]! * (1 - frac) + buf[i + 1]! * frac;
      this.pos += this.step;
    }
    // The read position can pass the end of the block; keep the last sample so it stays relative.
    const keep = Math.max(0, Math.min(Math.floor(this.pos), buf.length - 1));
    this.pending = buf.slice(keep);
    this.pos -= keep;
    return out;
  }

  private filter(input: Float32Array): Float32Array {
    const taps = this.taps!;
    const n = taps.length;
    const ext = new Float32Array(this.history.length + input.length);
    ext.set(this.history, 0);
    ext.set(input, this.history.length);
    const out = new Float32Array(input.length);
    for (let i = 0; i < input.length; i++) {
      let acc = 0;
      for (let t = 0; t < n; t++) acc += taps[t]! * ext[i + t]!;
      out[i] = acc;
    }
    this.history = ext.slice(ext.length - (n - 1));
    return out;
  }
}

export function floatToPcm16(x: number): number {
  const s = Math.max(-1, Math.min(1, x));
  return Math.round(s < 0 ? s * 32768 : s * 32767);
}

/** Cuts a continuous 16 kHz stream into frames of exactly `frameSamples` PCM16 samples. */
export class Framer {
  private current: Int16Array;
  private filled = 0;

  constructor(readonly frameSamples: number) {
    this.current = new Int16Array(frameSamples);
  }

  push(samples: Float32Array): Int16Array[] {
    const done: Int16Array[] = [];
    for (let i = 0; i < samples.length; i++) {
      this.current[this.filled++] = floatToPcm16(samples[i]!);
      if (this.filled === this.frameSamples) {
        done.push(this.current);
        this.current = new Int16Array(this.frameSamples);
        this.filled = 0;
      }
    }
    return done;
  }

  /** Emit the partial frame (e.g. on pause), or null when empty. */
  flush(): Int16Array | null {
    if (this.filled === 0) return null;
    const out = this.current.slice(0, this.filled);
    this.filled = 0;
    return out;
  }
}
