/**
 * From the speaker's relative pace and emphasis to the voice's controls, within bounds that keep
 * every voice intelligible, and how that combines with the voice's catch-up rate.
 */
import type { SpeakerProsody } from './speaker-prosody.ts';

/** Multipliers of the voice's own rate, volume and pitch; 1 = unchanged. */
export interface VoiceProsody {
  rate: number;
  volume: number;
  pitch: number;
}

export const NEUTRAL_VOICE: VoiceProsody = Object.freeze({ rate: 1, volume: 1, pitch: 1 });

/**
 * The bounds. A translated sentence has other words than the spoken one, so only part of the
 * speaker's variation is carried over (the exponents and slopes below), and never so much that a
 * classic voice slurs (faster than 1.2×) or drags (slower than 0.85×); ±3 dB is clearly audible
 * without clipping or getting lost in a noisy room; pitch moves by at most about a semitone.
 */
export const VOICE_PROSODY_BOUNDS = {
  rate: { min: 0.85, max: 1.2 },
  volume: { min: 10 ** (-3 / 20), max: 10 ** (3 / 20) },
  pitch: { min: 0.94, max: 1.06 },
} as const;

const RATE_EXPONENT = 0.6;
const LOUDNESS_SLOPE = 0.75;
/** Pitch change per doubling of the speaker's pitch movement. */
const PITCH_PER_OCTAVE_OF_MOVEMENT = 0.05;

const clamp = (x: number, b: { min: number; max: number }) =>
  Number.isFinite(x) ? Math.min(b.max, Math.max(b.min, x)) : 1;

export function voiceProsodyFor(speaker: SpeakerProsody): VoiceProsody {
  const b = VOICE_PROSODY_BOUNDS;
  return {
    rate: clamp(Math.max(speaker.rate, 1e-6) ** RATE_EXPONENT, b.rate),
    volume: clamp(10 ** ((LOUDNESS_SLOPE * speaker.loudnessDb) / 20), b.volume),
    pitch: clamp(
      1 + PITCH_PER_OCTAVE_OF_MOVEMENT * Math.log2(Math.max(speaker.pitchMovement, 1e-6)),
      b.pitch,
    ),
  };
}

/**
 * The speaking rate of one chunk. `catchUpRate` is what the voice stage chose from its lag (the
 * base rate when on time). Prosody modulates around it and never fights it: while the voice is
 * catching up, a slow chunk is not slowed down (only faster chunks add to the catch-up), and the
 * sum never exceeds the catch-up's own ceiling, `base × maxRate`.
 */
export function combinedRate(
  base: number,
  catchUpRate: number,
  prosodyRate: number,
  maxRate: number,
): number {
  if (catchUpRate <= base) return base * prosodyRate;
  return Math.max(catchUpRate, Math.min(catchUpRate * Math.max(1, prosodyRate), base * maxRate));
}
