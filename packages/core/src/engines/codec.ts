import type { Engine } from './engine.ts';

export interface CodecCapabilities {
  codec: 'opus' | 'pcm16';
  sampleRate: number;
  frameDurationMs: number;
  channels: 1;
}

export interface AudioEncoderEngine extends Engine {
  readonly capabilities: CodecCapabilities;
  /** One encoder per language track: encoders keep state between frames. */
  createEncoder(): AudioFrameEncoder;
}

export interface AudioFrameEncoder {
  /** Encode exactly one frame (`sampleRate * frameDurationMs / 1000` samples). */
  encodeFrame(pcm: Int16Array): Uint8Array;
  close(): void;
}

export function frameSamples(caps: CodecCapabilities): number {
  return (caps.sampleRate * caps.frameDurationMs) / 1000;
}
