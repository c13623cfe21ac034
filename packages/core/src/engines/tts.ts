import type { Engine } from './engine.ts';

export interface TtsCapabilities {
  /** Languages with a voice. */
  languages: string[];
  /** True when audio chunks are yielded while synthesis runs (first audio before the sentence is done). */
  streaming: boolean;
}

export interface TtsChunk {
  samples: Int16Array;
  /** Voices differ (flite 16 kHz, espeak-ng 22.05 kHz); the pipeline resamples to the codec rate. */
  sampleRate: number;
}

export interface SynthesizeRequest {
  text: string;
  language: string;
  /** Speaking-rate multiplier, 1 = the voice's normal rate. */
  rate?: number;
  /** Loudness multiplier, 1 = the voice's normal volume (engines clamp to what they can do). */
  volume?: number;
  /** Pitch multiplier, 1 = the voice's normal pitch. */
  pitch?: number;
  /** One of the voices an engine offers for the language (see `voicesFor`); its default otherwise. */
  voice?: string;
  signal?: AbortSignal;
}

export interface TtsEngine extends Engine {
  readonly capabilities: TtsCapabilities;
  /** Mono PCM chunks in order. Throws EngineError on failure. */
  synthesize(request: SynthesizeRequest): AsyncIterable<TtsChunk>;
  /** Which voice speaks a language, best first (e.g. `pico:es-ES`), for doctor and /api/languages. */
  voicesFor?(language: string): string[];
}
