import { describeCodecConformance } from '@babelcast/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { OpusCodec } from './opus-codec.ts';
import { OpusPacketDecoder } from './opus-packet-decoder.ts';

describeCodecConformance('opus', () => new OpusCodec());

function sine(seconds: number, hz: number, sampleRate: number): Int16Array {
  const out = new Int16Array(seconds * sampleRate);
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / sampleRate));
  return out;
}

/** Best normalised cross-correlation over lags up to `maxLag` (Opus adds a few ms of look-ahead delay). */
function bestCorrelation(a: Int16Array, b: Int16Array, maxLag: number): number {
  let best = -1;
  for (let lag = 0; lag <= maxLag; lag++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = 0; i + lag < b.length && i < a.length; i++) {
      const x = a[i]!;
      const y = b[i + lag]!;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    if (aa > 0 && bb > 0) best = Math.max(best, ab / Math.sqrt(aa * bb));
  }
  return best;
}

describe('OpusCodec round trip', () => {
  const codec = new OpusCodec();
  afterAll(() => codec.close());

  it('decodes 1 s of a 440 Hz tone back to a signal of the same length that matches the input', async () => {
    await codec.init();
    const input = sine(1, 440, 24000);
    const encoder = codec.createEncoder();
    const packets: Uint8Array[] = [];
    for (let at = 0; at < input.length; at += 480)
      packets.push(encoder.encodeFrame(input.subarray(at, at + 480)));
    encoder.close();
    expect(packets).toHaveLength(50);
    const bytes = packets.reduce((n, p) => n + p.byteLength, 0);
    // ~24 kbit/s: 3000 bytes per second, with slack for the encoder's rate control.
    expect(bytes).toBeGreaterThan(1500);
    expect(bytes).toBeLessThan(6000);

    const decoder = new OpusPacketDecoder(24000);
    const output = decoder.decodeAll(packets);
    decoder.close();
    decoder.close();
    expect(() => decoder.decode(packets[0]!)).toThrow(/decode\(\) on a closed stream/);
    expect(output.length).toBe(input.length);
    const steady = output.subarray(2400); // skip the encoder's start-up
    expect(Math.max(...steady.map(Math.abs))).toBeGreaterThan(4000);
    expect(bestCorrelation(input.subarray(2400, 20000), steady, 480)).toBeGreaterThan(0.9);
  });

  it('refuses to encode after close and rejects wrong frame sizes', async () => {
    await codec.init();
    const encoder = codec.createEncoder();
    expect(() => encoder.encodeFrame(new Int16Array(960))).toThrow(RangeError);
    encoder.close();
    encoder.close();
    expect(() => encoder.encodeFrame(new Int16Array(480))).toThrow(/closed/);
  });

  it('closes its open encoders when the engine closes, and refuses new ones until init', async () => {
    const own = new OpusCodec();
    await own.init();
    const encoder = own.createEncoder();
    await own.close();
    expect(() => encoder.encodeFrame(new Int16Array(480))).toThrow(/encodeFrame\(\) on a closed stream/);
    expect(() => own.createEncoder()).toThrow(/init\(\) was not called or the engine is closed/);
    await own.init();
    expect(own.createEncoder().encodeFrame(new Int16Array(480)).byteLength).toBeGreaterThan(0);
    await own.close();
  });

  it('rejects an invalid complexity at construction', () => {
    expect(() => new OpusCodec({ complexity: 11 })).toThrow(RangeError);
  });
});
