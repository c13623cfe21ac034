/**
 * What a stretch of speech sounds like, measured from 16 kHz PCM: loudness of its active frames
 * and how much the voice's pitch moves. Cheap enough to run on every committed chunk (a 2 s chunk
 * costs a few ms: pitch is tracked at 8 kHz on 40 ms windows every 20 ms).
 */

import { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';

export interface SpeechFeatures {
  /** Mean power of the frames that carry speech, dBFS; undefined when nothing is audible. */
  loudnessDb: number | undefined;
  /** Standard deviation of the voiced frames' pitch, semitones; undefined with too few voiced frames. */
  pitchMovementSt: number | undefined;
  /** Voiced frames found (how much to trust `pitchMovementSt`). */
  voicedFrames: number;
}

const RATE = SPEAKER_SAMPLE_RATE;
const HOP = 320; // 20 ms
const WINDOW = 640; // 40 ms: two periods of a 50 Hz voice
/** Frames more than this below the loudest frame of the stretch are pauses, not speech. */
const ACTIVE_RANGE_DB = 30;
const SILENCE_DBFS = -55;
const MIN_F0 = 70;
const MAX_F0 = 400;
/** Normalised autocorrelation above which a frame counts as voiced. */
const VOICED_CORRELATION = 0.5;
const MIN_VOICED_FRAMES = 5;

export function speechFeatures(samples: Int16Array): SpeechFeatures {
  const frames: { start: number; db: number }[] = [];
  for (let at = 0; at + HOP <= samples.length; at += HOP) {
    let power = 0;
    for (let i = at; i < at + HOP; i++) power += samples[i]! * samples[i]!;
    power /= HOP * 32768 * 32768;
    frames.push({ start: at, db: power > 0 ? 10 * Math.log10(power) : -120 });
  }
  if (frames.length === 0) return { loudnessDb: undefined, pitchMovementSt: undefined, voicedFrames: 0 };
  const loudest = Math.max(...frames.map((f) => f.db));
  const active = frames.filter((f) => f.db > Math.max(SILENCE_DBFS, loudest - ACTIVE_RANGE_DB));
  if (active.length === 0) return { loudnessDb: undefined, pitchMovementSt: undefined, voicedFrames: 0 };
  const meanPower = active.reduce((s, f) => s + 10 ** (f.db / 10), 0) / active.length;
  const semitones: number[] = [];
  for (const f of active) {
    const f0 = pitchOf(samples, f.start);
    if (f0 !== undefined) semitones.push(12 * Math.log2(f0 / 100));
  }
  return {
    loudnessDb: 10 * Math.log10(meanPower),
    pitchMovementSt: semitones.length >= MIN_VOICED_FRAMES ? standardDeviation(semitones) : undefined,
    voicedFrames: semitones.length,
  };
}

/** F0 of the 40 ms window at `start` by normalised autocorrelation at 8 kHz, or undefined if unvoiced. */
export function pitchOf(samples: Int16Array, start: number): number | undefined {
  const n = WINDOW / 2;
  if (start + WINDOW > samples.length) return undefined;
  // Decimate by two (averaging pairs is enough of a low-pass for a pitch estimate).
  const x = new Float32Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    x[i] = (samples[start + 2 * i]! + samples[start + 2 * i + 1]!) / 2;
    mean += x[i]!;
  }
  mean /= n;
  for (let i = 0; i < n; i++) x[i]! -= mean;
  const rate = RATE / 2;
  const minLag = Math.floor(rate / MAX_F0);
  const maxLag = Math.ceil(rate / MIN_F0);
  const r = new Float32Array(maxLag + 2);
  let best = 0;
  for (let lag = minLag; lag <= maxLag && lag < n - 16; lag++) {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i + lag < n; i++) {
      xy += x[i]! * x[i + lag]!;
      xx += x[i]! * x[i]!;
      yy += x[i + lag]! * x[i + lag]!;
    }
    r[lag] = xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
    best = Math.max(best, r[lag]!);
  }
  // Multiples of the period correlate about as well as the period itself: take the shortest lag
  // that peaks close to the best, or every voice would be read an octave low now and then.
  let bestLag = 0;
  for (let lag = minLag + 1; lag < maxLag && lag < n - 17; lag++) {
    if (r[lag]! >= 0.9 * best && r[lag]! >= r[lag - 1]! && r[lag]! >= r[lag + 1]!) {
      bestLag = lag;
      break;
    }
  }
  return best >= VOICED_CORRELATION && bestLag > 0 ? rate / bestLag : undefined;
}

function standardDeviation(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
}
