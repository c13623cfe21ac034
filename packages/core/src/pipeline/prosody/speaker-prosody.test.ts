import { describe, expect, it } from 'vitest';
import { readWavFile } from '../../audio/wav.ts';
import { speechClip } from '../../testing/shared-data.ts';
import { NEUTRAL_SPEAKER, SpeakerProsodyMeter } from './speaker-prosody.ts';
import { pitchOf, speechFeatures } from './speech-features.ts';

const RATE = 16000;

/** A voiced sound: harmonics of f0 (Hz, possibly varying over time) at an amplitude. */
function voiced(seconds: number, amplitude: number, f0: (t: number) => number): Int16Array {
  const out = new Int16Array(Math.round(seconds * RATE));
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    phase += (2 * Math.PI * f0(i / RATE)) / RATE;
    let v = 0;
    for (let h = 1; h <= 5; h++) v += Math.sin(h * phase) / h;
    out[i] = Math.round(amplitude * 0.5 * v);
  }
  return out;
}

describe('speechFeatures', () => {
  it('finds the pitch of a voiced sound', () => {
    const tone = voiced(0.2, 8000, () => 180);
    expect(pitchOf(tone, 0)).toBeGreaterThan(170);
    expect(pitchOf(tone, 0)).toBeLessThan(190);
    expect(pitchOf(new Int16Array(640), 0)).toBeUndefined();
  });

  it('measures loudness in dBFS and more pitch movement for an intonated sound', () => {
    const flat = speechFeatures(voiced(1, 8000, () => 150));
    const moving = speechFeatures(voiced(1, 8000, (t) => 150 * 2 ** (Math.sin(2 * Math.PI * 2 * t) / 3)));
    const quiet = speechFeatures(voiced(1, 4000, () => 150));
    expect(flat.loudnessDb! - quiet.loudnessDb!).toBeCloseTo(6, 0);
    expect(moving.pitchMovementSt!).toBeGreaterThan(flat.pitchMovementSt! + 1);
    expect(speechFeatures(new Int16Array(16000)).loudnessDb).toBeUndefined();
  });

  it('finds speech pitch in a real recording', () => {
    const { samples } = readWavFile(speechClip('ljspeech-01.wav'));
    const f = speechFeatures(samples);
    expect(f.voicedFrames).toBeGreaterThan(50);
    expect(f.pitchMovementSt).toBeGreaterThan(1);
    expect(f.pitchMovementSt).toBeLessThan(8);
  });
});

describe('SpeakerProsodyMeter', () => {
  it('is neutral for the first chunk and for a chunk just like the average', () => {
    const meter = new SpeakerProsodyMeter();
    const chunk = voiced(2, 6000, (t) => 150 + 20 * Math.sin(2 * Math.PI * t));
    meter.push(chunk);
    expect(meter.measure(0, 2000, 5)).toEqual(NEUTRAL_SPEAKER);
    meter.push(chunk);
    const same = meter.measure(2000, 4000, 5);
    expect(same.rate).toBeCloseTo(1, 5);
    expect(same.loudnessDb).toBeCloseTo(0, 1);
    expect(same.pitchMovement).toBeCloseTo(1, 1);
  });

  it('tells a faster, louder, more animated chunk from the running average', () => {
    const meter = new SpeakerProsodyMeter();
    let at = 0;
    for (let i = 0; i < 6; i++) {
      meter.push(voiced(2, 4000, (t) => 150 + 10 * Math.sin(2 * Math.PI * t)));
      meter.measure(at, at + 2000, 5);
      at += 2000;
    }
    meter.push(voiced(2, 8000, (t) => 150 * 2 ** (Math.sin(2 * Math.PI * 2 * t) / 3)));
    const p = meter.measure(at, at + 2000, 8);
    expect(p.rate).toBeCloseTo(8 / 5, 5);
    expect(p.loudnessDb).toBeCloseTo(6, 0);
    expect(p.pitchMovement).toBeGreaterThan(2);
  });

  it('is neutral for audio it no longer keeps', () => {
    const meter = new SpeakerProsodyMeter();
    meter.push(voiced(2, 4000, () => 150));
    meter.measure(0, 2000, 5);
    meter.push(new Int16Array(61 * RATE));
    expect(meter.measure(0, 2000, 20).loudnessDb).toBe(0);
  });
});
