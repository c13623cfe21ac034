import type { Logger } from 'pino';

/** Pipeline stages whose latency is measured (the `stage` label of the latency histogram). */
export type Stage =
  | 'asr_final'
  | 'mt'
  | 'tts_first_audio'
  | 'tts_total'
  | 'caption_translation_e2e'
  | 'audio_first_packet_e2e';

/** What the pipeline reports; implemented over prom-client in observability/metrics.ts. */
export interface PipelineObserver {
  stageLatency(stage: Stage, lang: string, seconds: number): void;
  engineFailure(kind: 'asr' | 'mt' | 'tts' | 'codec' | 'vad', engineId: string): void;
  dropped(what: 'voice' | 'translation', lang: string): void;
  audioSeconds(kind: 'input' | 'speech' | 'synthesized', lang: string, seconds: number): void;
  /** Speaker frames that never arrived (seq jumped): audio lost beyond what the client could resend. */
  speakerAudioGap(frames: number): void;
}

export const nullObserver: PipelineObserver = {
  stageLatency() {},
  engineFailure() {},
  dropped() {},
  audioSeconds() {},
  speakerAudioGap() {},
};

/** One finished piece of transcript, source or translation, as it is stored and exported. */
export interface TranscriptSegment {
  sessionId: string;
  segmentId: number;
  seq: number;
  lang: string;
  kind: 'source' | 'translation';
  text: string;
  mediaStartMs: number;
  mediaEndMs: number;
  createdAt: number;
}

export interface PipelineContext {
  sessionId: string;
  sourceLanguage: string;
  logger: Logger;
  observer: PipelineObserver;
  now: () => number;
  nextSeq: () => number;
  onTranscript: (segment: TranscriptSegment) => void;
}

/** A sentence ready for translation and synthesis. */
export interface Sentence {
  segmentId: number;
  text: string;
  mediaStartMs: number;
  mediaEndMs: number;
  /** Wall-clock time the endpointer closed the utterance: the origin of end-to-end latency. */
  endpointWallMs: number;
}
