import { int16ToFloat32, readWavFile } from '@babelcast/core/engines';
import { describeVadConformance, speechClip } from '@babelcast/core/testing';
import { describe, expect, it } from 'vitest';
import { WebRtcVad, type WebRtcVadOptions } from './webrtc-vad.ts';

describeVadConformance('webrtc', () => new WebRtcVad());
describeVadConformance(
  'webrtc 10 ms, least aggressive',
  () => new WebRtcVad({ frameMs: 10, aggressiveness: 0 }),
);

/** The verdicts for long-en-01 (nine sentences joined by 0.5–1.5 s of digital silence), frame by frame. */
function verdicts(process: (frame: Float32Array) => number, frameSamples: number): number[] {
  const audio = int16ToFloat32(readWavFile(speechClip('long-en-01.wav')).samples);
  const out: number[] = [];
  for (let at = 0; at + frameSamples <= audio.length; at += frameSamples)
    out.push(process(audio.subarray(at, at + frameSamples)));
  return out;
}

function speechToSilenceTurns(answers: number[]): number {
  return answers.filter((p, i) => i > 0 && answers[i - 1]! >= 0.5 && p < 0.5).length;
}

describe.each<WebRtcVadOptions>([{}, { frameMs: 20 }, { frameMs: 10, aggressiveness: 3 }])(
  'WebRtcVad %o',
  (options) => {
    it('finds every pause between the joined sentences, and again alike after a reset', async () => {
      const vad = new WebRtcVad(options);
      await vad.init();
      const stream = vad.createStream();
      const n = vad.capabilities.frameSamples;
      const before = verdicts((f) => stream.process(f), n);
      stream.reset();
      expect(verdicts((f) => stream.process(f), n)).toEqual(before);
      expect(speechToSilenceTurns(before)).toBeGreaterThanOrEqual(8);
      await vad.close();
    }, 60_000);
  },
);

describe('WebRtcVad', () => {
  it('takes 10, 20 or 30 ms frames and refuses other sizes', async () => {
    expect(new WebRtcVad({ frameMs: 10 }).capabilities.frameSamples).toBe(160);
    expect(() => new WebRtcVad({ frameMs: 25 as 20 })).toThrow(RangeError);
    const vad = new WebRtcVad();
    await vad.init();
    const stream = vad.createStream();
    expect(() => stream.process(new Float32Array(160))).toThrow(/frame must be 480 samples, got 160/);
    await vad.close();
  });

  it('closes its open streams when the engine closes, refuses new ones, and opens again on init', async () => {
    const vad = new WebRtcVad();
    await vad.init();
    const stream = vad.createStream();
    await vad.close();
    expect(() => stream.process(new Float32Array(480))).toThrow(/process\(\) on a closed stream/);
    expect(() => vad.createStream()).toThrow(/closed/);
    await vad.init();
    expect(vad.createStream().process(new Float32Array(480))).toBe(0);
    await vad.close();
  });
});
