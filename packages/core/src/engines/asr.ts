import type { Engine } from './engine.ts';

export interface AsrCapabilities {
  /** Spoken languages recognised, ISO 639-1. */
  languages: string[];
  /**
   * True when partial hypotheses arrive while the person speaks (pocketsphinx, sherpa-onnx
   * transducers, AWS Transcribe Streaming). False for segment-at-a-time engines (Whisper):
   * the pipeline then shows no draft text and recognition starts at the end of the utterance.
   */
  streaming: boolean;
  /** True when output is already cased and punctuated; otherwise the pipeline's normaliser runs. */
  punctuated: boolean;
}

export interface AsrWord {
  word: string;
  /** ms relative to the start of the utterance. */
  startMs: number;
  endMs: number;
}

/**
 * What a recogniser says about the current utterance. `interim` is the full hypothesis so far (not
 * a delta) and may still change; `final` is the utterance's result. Times are ms from the first
 * sample written in the utterance: `endMs` is how much audio the hypothesis has heard, so the
 * pipeline can tell a word that is followed by a pause from one that was just spoken.
 */
export interface AsrEvent {
  type: 'interim' | 'final';
  text: string;
  /** Per-word times when the engine has them (pocketsphinx, sherpa): the stabiliser uses them to find pauses. */
  words?: AsrWord[];
  startMs: number;
  endMs: number;
  confidence?: number;
}

export type AsrFinal = AsrEvent & { type: 'final' };

export interface AsrStreamOptions {
  language: string;
  /** Interim hypotheses as they improve (streaming engines only); at most a few per second. */
  onEvent?: (event: AsrEvent) => void;
}

export interface AsrEngine extends Engine {
  readonly capabilities: AsrCapabilities;
  createStream(options: AsrStreamOptions): AsrStream;
}

/**
 * One recognition stream per session. Push in utterance audio; the pipeline's endpointer calls
 * `finishUtterance` at the end of each utterance (VAD silence or forced split) and the stream is
 * then ready for the next one. Calls are never concurrent: the pipeline awaits each finish before
 * writing the next utterance's audio.
 */
export interface AsrStream {
  /** 16 kHz mono samples of the current utterance, any length. */
  write(samples: Int16Array): void;
  /** Everything written since the last call is one utterance: recognise it and reset. */
  finishUtterance(): Promise<AsrFinal>;
  close(): void;
}
