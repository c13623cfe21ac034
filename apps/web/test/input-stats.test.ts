import { speechClip } from '@babelcast/core/testing';
import { describe, expect, it } from 'vitest';
import { InputMeter, inputWarnings } from '../src/pages/shared/input-stats.ts';
import { readWavFloat } from './wav.ts';

function noise(n: number, amp: number, seed = 1): Float32Array {
  let s = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    out[i] = amp * ((s / 0x7fffffff) * 2 - 1);
  }
  return out;
}

function measure(samples: Float32Array) {
  const meter = new InputMeter();
  for (let i = 0; i < samples.length; i += 3200) meter.push(samples.subarray(i, i + 3200));
  const levels = meter.take();
  return { levels, warnings: inputWarnings(levels, meter.speechLevel()) };
}

describe('InputMeter on real speech', () => {
  const clip = readWavFloat(speechClip('fleurs-en-01.wav'));

  it('finds a clean recording clean', () => {
    expect(clip.sampleRate).toBe(16_000);
    const { levels, warnings } = measure(clip.samples);
    expect(levels.snrDb).toBeGreaterThan(20);
    expect(levels.clipping).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('warns about noise when the same speech is buried in loud noise', () => {
    const speechRms = Math.sqrt(clip.samples.reduce((s, x) => s + x * x, 0) / clip.samples.length);
    // Uniform noise of amplitude a has RMS a/√3: this makes noise as loud as the speech.
    const n = noise(clip.samples.length, speechRms * Math.sqrt(3));
    const mixed = clip.samples.map((x, i) => x + n[i]!);
    const { levels, warnings } = measure(mixed);
    expect(levels.snrDb).toBeLessThan(15);
    expect(warnings).toContain('noisy');
  });

  it('warns that the input is too quiet when the speaker is far away', () => {
    const { warnings } = measure(clip.samples.map((x) => x * 0.003));
    expect(warnings).toContain('tooQuiet');
  });

  it('warns about clipping when the gain is far too high', () => {
    const { levels, warnings } = measure(clip.samples.map((x) => Math.max(-1, Math.min(1, x * 40))));
    expect(levels.clipping).toBe(true);
    expect(levels.peakDbfs).toBeGreaterThan(-0.5);
    expect(warnings).toContain('clipping');
  });
});

describe('InputMeter', () => {
  it('reports silence as -100 dBFS and no SNR yet', () => {
    const meter = new InputMeter();
    meter.push(new Float32Array(1600));
    expect(meter.take()).toEqual({ rmsDbfs: -100, peakDbfs: -100, snrDb: null, clipping: false });
  });

  it('counts clipping measured on the raw device signal', () => {
    const meter = new InputMeter();
    meter.push(noise(16_000, 0.1));
    meter.noteRaw(1, 12);
    expect(meter.take().clipping).toBe(true);
    meter.push(noise(16_000, 0.1));
    expect(meter.take().clipping).toBe(false);
  });
});
