import { describe, expect, it } from 'vitest';
import { boundedControl, controlPercent, VOICE_CONTROL_BOUNDS, withVolume } from './voice-controls.ts';

describe('withVolume', () => {
  const samples = Int16Array.of(0, 1000, -1000, 20000, -20000, 32767, -32768);

  it('returns the samples untouched for a neutral or absent volume', () => {
    expect(withVolume(samples, 1)).toBe(samples);
    expect(withVolume(samples, undefined)).toBe(samples);
    expect(withVolume(samples, Number.NaN)).toBe(samples);
  });

  it('scales every sample, and clips loud peaks instead of wrapping them around', () => {
    expect([...withVolume(samples, 1.5)]).toEqual([0, 1500, -1500, 30000, -30000, 32767, -32768]);
    expect([...withVolume(samples, 0.5)]).toEqual([0, 500, -500, 10000, -10000, 16384, -16384]);
  });

  it('keeps the gain within bounds (+6 dB at most, -14 dB at least)', () => {
    expect([...withVolume(Int16Array.of(1000, -100), 10)]).toEqual([2000, -200]);
    expect([...withVolume(Int16Array.of(1000), 0)]).toEqual([200]);
  });
});

describe('voice control percentages', () => {
  it('are 100 for neutral and clamp to the shared bounds', () => {
    expect(controlPercent(undefined, VOICE_CONTROL_BOUNDS.rate)).toBe(100);
    expect(controlPercent(1.234, VOICE_CONTROL_BOUNDS.rate)).toBe(123);
    expect(controlPercent(9, VOICE_CONTROL_BOUNDS.rate)).toBe(300);
    expect(controlPercent(0.1, VOICE_CONTROL_BOUNDS.pitch)).toBe(50);
    expect(boundedControl(Number.POSITIVE_INFINITY, VOICE_CONTROL_BOUNDS.volume)).toBe(1);
  });
});
