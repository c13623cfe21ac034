import type { AudioEncoderEngine, AudioFrameEncoder, CodecCapabilities } from '../codec.ts';
import type { EngineInfo } from '../engine.ts';

/** "Encodes" by copying PCM16LE bytes: the codec fake, and a debugging aid (no WASM involved). */
export class PcmCodec implements AudioEncoderEngine {
  readonly info: EngineInfo = {
    id: 'pcm',
    kind: 'codec',
    description: 'raw PCM16LE frames (testing)',
    local: true,
  };
  readonly capabilities: CodecCapabilities = {
    codec: 'pcm16',
    sampleRate: 24000,
    frameDurationMs: 20,
    channels: 1,
  };
  async init(): Promise<void> {}
  async close(): Promise<void> {}
  createEncoder(): AudioFrameEncoder {
    const expected = (this.capabilities.sampleRate * this.capabilities.frameDurationMs) / 1000;
    return {
      encodeFrame(pcm: Int16Array): Uint8Array {
        if (pcm.length !== expected) throw new RangeError(`expected ${expected} samples, got ${pcm.length}`);
        return new Uint8Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength));
      },
      close() {},
    };
  }
}
