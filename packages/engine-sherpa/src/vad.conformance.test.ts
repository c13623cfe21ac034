import { EngineError, int16ToFloat32, readWavFile } from '@babelcast/core/engines';
import { describeVadConformance, speechClip } from '@babelcast/core/testing';
import { describe, expect, it } from 'vitest';
import { SileroVad } from './silero-vad.ts';
import { WebRtcVad } from './webrtc-vad.ts';

describeVadConformance('silero', () => new SileroVad());
describeVadConformance('webrtc', () => new WebRtcVad());
describeVadConformance(
  'webrtc 10 ms, least aggressive',
  () => new WebRtcVad({ frameMs: 10, aggressiveness: 0 }),
);

function speechFrames(n: number): Float32Array[] {
  const audio = int16ToFloat32(readWavFile(speechClip('long-en-01.wav')).samples);
  const frames: Float32Array[] = [];
  for (let at = 0; at + n <= audio.length; at += n) frames.push(audio.subarray(at, at + n));
  return frames;
}

describe.each([
  ['silero', () => new SileroVad()],
  ['webrtc', () => new WebRtcVad()],
])('%s VAD streams', (_name, make) => {
  it('finds the silent gaps between joined clips and gives the same answers after reset', async () => {
    const vad = make();
    await vad.init();
    const frames = speechFrames(vad.capabilities.frameSamples);
    const stream = vad.createStream();
    const first = frames.map((f) => stream.process(f));
    stream.reset();
    const again = frames.map((f) => stream.process(f));
    expect(again).toEqual(first);
    // long-en-01 is nine sentences joined by 0.5–1.5 s of digital silence: at least 8 speech→silence turns.
    let turns = 0;
    for (let i = 1; i < first.length; i++) if (first[i - 1]! >= 0.5 && first[i]! < 0.5) turns++;
    expect(turns).toBeGreaterThanOrEqual(8);
    stream.close();
    expect(() => stream.process(frames[0]!)).toThrow(EngineError);
    await vad.close();
  }, 60_000);

  it('rejects a frame of the wrong size', async () => {
    const vad = make();
    await vad.init();
    const stream = vad.createStream();
    expect(() => stream.process(new Float32Array(100))).toThrow(/samples/);
    stream.close();
    await vad.close();
  });
});

describe('SileroVad configuration', () => {
  it('rejects a missing model file with EngineUnavailableError', async () => {
    await expect(new SileroVad({ model: '/nonexistent/silero.onnx' }).init()).rejects.toThrow(/not found/);
  });
});
