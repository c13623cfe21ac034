import { describe, expect, it } from 'vitest';
import { NEUTRAL_SPEAKER } from './speaker-prosody.ts';
import { combinedRate, NEUTRAL_VOICE, VOICE_PROSODY_BOUNDS, voiceProsodyFor } from './voice-prosody.ts';

describe('voiceProsodyFor', () => {
  it('maps a neutral speaker to an unchanged voice', () => {
    expect(voiceProsodyFor(NEUTRAL_SPEAKER)).toEqual(NEUTRAL_VOICE);
  });

  it('follows the direction of the speaker, damped', () => {
    const v = voiceProsodyFor({ rate: 1.2, loudnessDb: 2, pitchMovement: 1.5 });
    expect(v.rate).toBeGreaterThan(1);
    expect(v.rate).toBeLessThan(1.2);
    expect(v.volume).toBeGreaterThan(1);
    expect(v.pitch).toBeGreaterThan(1);
    const calm = voiceProsodyFor({ rate: 0.9, loudnessDb: -2, pitchMovement: 0.7 });
    expect(calm.rate).toBeLessThan(1);
    expect(calm.volume).toBeLessThan(1);
    expect(calm.pitch).toBeLessThan(1);
  });

  it('stays within bounds for extreme and broken measurements', () => {
    const b = VOICE_PROSODY_BOUNDS;
    for (const s of [
      { rate: 10, loudnessDb: 40, pitchMovement: 50 },
      { rate: 0, loudnessDb: -60, pitchMovement: 0 },
      { rate: Number.NaN, loudnessDb: Number.POSITIVE_INFINITY, pitchMovement: -1 },
    ]) {
      const v = voiceProsodyFor(s);
      expect(v.rate).toBeGreaterThanOrEqual(b.rate.min);
      expect(v.rate).toBeLessThanOrEqual(b.rate.max);
      expect(v.volume).toBeGreaterThanOrEqual(b.volume.min);
      expect(v.volume).toBeLessThanOrEqual(b.volume.max);
      expect(v.pitch).toBeGreaterThanOrEqual(b.pitch.min);
      expect(v.pitch).toBeLessThanOrEqual(b.pitch.max);
    }
    expect(voiceProsodyFor({ rate: 10, loudnessDb: 40, pitchMovement: 50 })).toEqual({
      rate: b.rate.max,
      volume: b.volume.max,
      pitch: b.pitch.max,
    });
  });
});

describe('combinedRate', () => {
  it('is the base rate times prosody when the voice is on time', () => {
    expect(combinedRate(1, 1, 1, 1.4)).toBe(1);
    expect(combinedRate(1.1, 1.1, 0.9, 1.4)).toBeCloseTo(0.99);
  });

  it('never slows a voice that is catching up', () => {
    expect(combinedRate(1, 1.3, 0.85, 1.4)).toBe(1.3);
  });

  it('adds a faster chunk to the catch-up, up to the catch-up ceiling only', () => {
    expect(combinedRate(1, 1.1, 1.2, 1.4)).toBeCloseTo(1.32);
    expect(combinedRate(1, 1.3, 1.2, 1.4)).toBeCloseTo(1.4);
    expect(combinedRate(1, 1.4, 1.2, 1.4)).toBeCloseTo(1.4);
  });

  it('with neutral prosody is exactly the catch-up rate', () => {
    for (const r of [1, 1.05, 1.2, 1.4]) expect(combinedRate(1, r, 1, 1.4)).toBe(r);
  });
});
