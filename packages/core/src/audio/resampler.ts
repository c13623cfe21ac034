/**
 * Streaming resampler for mono PCM16. Linear interpolation after a short FIR low-pass when
 * downsampling. Speech synthesis output (16–22.05 kHz) goes to the 24 kHz codec rate, which is
 * upsampling and needs no anti-aliasing; the filter matters only for the rarer downsampling case.
 * Quality is adequate for speech; it is not a mastering resampler.
 */
export class StreamingResampler {
  private readonly step: number;
  /** Fractional read position relative to the start of `tail`. */
  private pos = 0;
  private tail: Float32Array = new Float32Array(0);
  private readonly taps: Float32Array | null;
  private firHistory: Float32Array;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    if (fromRate <= 0 || toRate <= 0) throw new RangeError('sample rates must be positive');
    this.step = fromRate / toRate;
    this.taps = toRate < fromRate ? lowPassTaps(toRate / fromRate / 2, 31) : null;
    this.firHistory = new Float32Array(this.taps ? this.taps.length - 1 : 0);
  }

  push(input: Int16Array): Int16Array {
    if (this.fromRate === this.toRate) return input.slice();
    let x: Float32Array = new Float32Array(input.length);
    for (let i = 0; i < input.length; i++) x[i] = input[i]!;
    if (this.taps) x = this.filter(x);
    const buf = new Float32Array(this.tail.length + x.length);
    buf.set(this.tail, 0);
    buf.set(x, this.tail.length);
    const out: number[] = [];
    while (this.pos + 1 < buf.length) {
      const i = Math.floor(this.pos);
      const frac = this.pos - i;
      out.push(buf[i]! * (1 - frac) + buf[i + 1]! * frac);
      this.pos += this.step;
    }
    const keepFrom = Math.floor(this.pos);
    this.tail = buf.slice(keepFrom);
    this.pos -= keepFrom;
    const result = new Int16Array(out.length);
    for (let i = 0; i < out.length; i++) result[i] = Math.max(-32768, Math.min(32767, Math.round(out[i]!)));
    return result;
  }

  /** Emit what is left (the last sample) and reset. */
  flush(): Int16Array {
    const last =
      this.tail.length > 0 ? Int16Array.of(Math.round(this.tail[this.tail.length - 1]!)) : new Int16Array(0);
    this.tail = new Float32Array(0);
    this.pos = 0;
    this.firHistory.fill(0);
    return this.fromRate === this.toRate ? new Int16Array(0) : last;
  }

  private filter(x: Float32Array): Float32Array {
    const taps = this.taps!;
    const h = this.firHistory;
    const joined = new Float32Array(h.length + x.length);
    joined.set(h, 0);
    joined.set(x, h.length);
    const y = new Float32Array(x.length);
    for (let n = 0; n < x.length; n++) {
      let acc = 0;
      for (let k = 0; k < taps.length; k++) acc += taps[k]! * joined[n + taps.length - 1 - k]!;
      y[n] = acc;
    }
    this.firHistory = joined.slice(joined.length - h.length);
    return y;
  }
}

/** Windowed-sinc low-pass with cutoff as a fraction of the input sample rate. */
function lowPassTaps(cutoff: number, count: number): Float32Array {
  const taps = new Float32Array(count);
  const mid = (count - 1) / 2;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const t = i - mid;
    const sinc = t === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
    const hamming = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (count - 1));
    taps[i] = sinc * hamming;
    sum += taps[i]!;
  }
  for (let i = 0; i < count; i++) taps[i] = taps[i]! / sum;
  return taps;
}

/** One-shot convenience. */
export function resample(input: Int16Array, fromRate: number, toRate: number): Int16Array {
  const r = new StreamingResampler(fromRate, toRate);
  const a = r.push(input);
  const b = r.flush();
  const out = new Int16Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
