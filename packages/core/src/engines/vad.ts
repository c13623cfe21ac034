import type { Engine } from './engine.ts';
import type { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';

export interface VadCapabilities {
  /** Input sample rate: the speaker's, always 16 kHz in Babelcast. */
  sampleRate: typeof SPEAKER_SAMPLE_RATE;
  /** `process` takes exactly this many samples (Silero: 512, WebRTC VAD: 160/320/480). */
  frameSamples: number;
}

/** A frame classifier. Endpointing (silence length, forced splits) is the pipeline's job, not the engine's. */
export interface VadEngine extends Engine {
  readonly capabilities: VadCapabilities;
  /** One stream per session: engines such as Silero keep recurrent state between frames. */
  createStream(): VadStream;
}

export interface VadStream {
  /** Speech probability in [0, 1] for one frame of `frameSamples` float samples in [-1, 1]. */
  process(frame: Float32Array): number;
  reset(): void;
  close(): void;
}
