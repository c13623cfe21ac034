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

export interface AsrResult {
  text: string;
  words?: AsrWord[];
  confidence?: number;
}

export interface AsrStreamOptions {
  language: string;
  /** Called with the full hypothesis-so-far of the current utterance (not a delta). */
  onPartial?: (text: string) => void;
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
  finishUtterance(): Promise<AsrResult>;
  close(): void;
}
