import { encodeWav } from '../../audio/wav.ts';
import { describe, expect, it } from 'vitest';
import { WavStreamParser } from './wav-stream-parser.ts';

const samples = Int16Array.from({ length: 1001 }, (_, i) => ((i * 37) % 30000) - 15000);

describe('WavStreamParser', () => {
  it('returns every sample when the WAV arrives one byte at a time', () => {
    const wav = encodeWav(samples, 22050);
    const parser = new WavStreamParser();
    const out: number[] = [];
    for (const byte of wav) out.push(...parser.push(Uint8Array.of(byte)));
    expect(parser.format).toEqual({ sampleRate: 22050, channels: 1 });
    expect(Int16Array.from(out)).toEqual(samples);
  });

  it('streams past a placeholder data size (espeak-ng on a pipe) and ignores bytes past a real one', () => {
    const wav = encodeWav(samples, 16000);
    const streaming = wav.slice();
    new DataView(streaming.buffer).setUint32(40, 0x7ffff000, true);
    const a = new WavStreamParser();
    expect(a.push(streaming).length).toBe(samples.length);

    const trailing = new Uint8Array(wav.byteLength + 6);
    trailing.set(wav);
    const b = new WavStreamParser();
    expect(b.push(trailing).length).toBe(samples.length);
  });

  it('rejects stereo, which would otherwise play at half speed', () => {
    const stereo = encodeWav(samples, 16000);
    new DataView(stereo.buffer).setUint16(22, 2, true);
    expect(() => new WavStreamParser().push(stereo)).toThrow(/mono/);
  });

  it('rejects output that is not PCM16 WAV', () => {
    expect(() => new WavStreamParser().push(new TextEncoder().encode('Error: no such voice\n'))).toThrow(
      /RIFF/,
    );
  });
});
