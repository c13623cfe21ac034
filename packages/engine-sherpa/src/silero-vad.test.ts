import { EngineError, EngineUnavailableError, int16ToFloat32, readWavFile } from '@babelcast/core/engines';
import { describeVadConformance, speechClip } from '@babelcast/core/testing';
import { describe, expect, it } from 'vitest';
import { SileroVad } from './silero-vad.ts';

describeVadConformance('silero', () => new SileroVad());

function speechFrames(n: number): Float32Array[] {
  const audio = int16ToFloat32(readWavFile(speechClip('long-en-01.wav')).samples);
  const frames: Float32Array[] = [];
  for (let at = 0; at + n <= audio.length; at += n) frames.push(audio.subarray(at, at + n));
  return frames;
}

describe('SileroVad streams', () => {
  it('finds the silent gaps between joined clips and gives the same answers after reset', async () => {
    const vad = new SileroVad();
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

  it('rejects a frame of the wrong size, and every frame once the engine has closed', async () => {
    const vad = new SileroVad();
    await vad.init();
    const stream = vad.createStream();
    expect(() => stream.process(new Float32Array(100))).toThrow(/frame must be 512 samples, got 100/);
    await vad.close();
    expect(() => stream.process(new Float32Array(512))).toThrow(/closed stream/);
    expect(() => vad.createStream()).toThrow(/closed/);
  });
});

describe('SileroVad configuration', () => {
  it('rejects a missing model file with EngineUnavailableError', async () => {
    const failure = new SileroVad({ model: '/nonexistent/silero.onnx' }).init();
    await expect(failure).rejects.toBeInstanceOf(EngineUnavailableError);
    await expect(failure).rejects.toThrow(/not found/);
  });
});
