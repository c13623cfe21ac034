import { describe, expect, it } from 'vitest';
import { Downsampler, Framer, floatToPcm16 } from '../src/pages/shared/pcm-framer.ts';

function tone(freq: number, rate: number, seconds: number, amp = 0.5): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

function rms(x: Float32Array, from = 0): number {
  let s = 0;
  for (let i = from; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (x.length - from));
}

/** Feed in render-quantum-sized blocks, as the AudioWorklet does. */
function runBlocks(d: Downsampler, input: Float32Array, block = 128): Float32Array {
  const parts: Float32Array[] = [];
  for (let i = 0; i < input.length; i += block) parts.push(d.push(input.subarray(i, i + block)));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('Downsampler', () => {
  it.each([48_000, 44_100, 32_000])('turns one second at %i Hz into one second at 16 kHz', (rate) => {
    const out = runBlocks(new Downsampler(rate), tone(440, rate, 1));
    expect(Math.abs(out.length - 16_000)).toBeLessThanOrEqual(2);
  });

  it('keeps speech frequencies at their level', () => {
    const out = runBlocks(new Downsampler(48_000), tone(1000, 48_000, 0.5));
    // 0.5 amplitude sine → RMS 0.354; skip the filter's start-up.
    expect(rms(out, 200)).toBeGreaterThan(0.33);
    expect(rms(out, 200)).toBeLessThan(0.37);
  });

  it('removes tones above 8 kHz instead of folding them into the speech band', () => {
    const out = runBlocks(new Downsampler(48_000), tone(12_000, 48_000, 0.5));
    // Without the low-pass this would alias to a loud 4 kHz tone (RMS ~0.35).
    expect(rms(out, 200)).toBeLessThan(0.01);
  });

  it('passes 16 kHz input through unchanged', () => {
    const input = tone(300, 16_000, 0.1);
    expect(Array.from(new Downsampler(16_000).push(input))).toEqual(Array.from(input));
  });
});

describe('Framer', () => {
  it('cuts any chunking into frames of exactly the frame size, in order', () => {
    const framer = new Framer(3200);
    const frames: Int16Array[] = [];
    const input = new Float32Array(10_000).map((_, i) => ((i % 1000) - 500) / 1000);
    for (let i = 0; i < input.length; i += 333) frames.push(...framer.push(input.subarray(i, i + 333)));
    expect(frames.map((f) => f.length)).toEqual([3200, 3200, 3200]);
    expect(frames[1]![0]).toBe(floatToPcm16(input[3200]!));
    const rest = framer.flush();
    expect(rest?.length).toBe(400);
    expect(framer.flush()).toBeNull();
  });

  it('saturates instead of wrapping around', () => {
    expect(floatToPcm16(1.5)).toBe(32767);
    expect(floatToPcm16(-1.5)).toBe(-32768);
  });
});
