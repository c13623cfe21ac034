import type { TranscriptSegment } from '@babelcast/protocol';
import type { Logger } from 'pino';
import type { SpeakerProsody } from './prosody/speaker-prosody.ts';

/** Pipeline stages whose latency is measured (the `stage` label of the latency histogram). */
export type Stage =
  | 'asr_final'
  | 'mt'
  | 'tts_first_audio'
  | 'tts_total'
  | 'caption_translation_e2e'
  | 'audio_first_packet_e2e'
  /** Lag behind the speaker: a draft's or translation's publication minus the arrival of the audio it covers. */
  | 'text_lag'
  /** Lag behind the speaker: when a listener playing in order hears a chunk minus the arrival of its audio. */
  | 'voice_lag';

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

/** Lives in @babelcast/protocol (stores and export use it too); re-exported for older imports. */
export type { TranscriptSegment } from '@babelcast/protocol';

export interface PipelineContext {
  sessionId: string;
  sourceLanguage: string;
  logger: Logger;
  observer: PipelineObserver;
  now: () => number;
  nextSeq: () => number;
  onTranscript: (segment: TranscriptSegment) => void;
  /** Wall time at which the speaker's audio at `mediaMs` arrived: the origin of lag behind the speaker. */
  arrivalWall: (mediaMs: number) => number;
}

/**
 * A committed piece of a segment, translated and voiced as one unit. In `sentence` mode a chunk
 * is a whole sentence; in `simultaneous` mode a segment (an utterance) is committed in several
 * chunks as its words become stable, and the segment's end is signalled separately.
 */
export interface Chunk {
  segmentId: number;
  /** Source text, readable (cased; sentence punctuation only where the segment ends). */
  text: string;
  mediaStartMs: number;
  mediaEndMs: number;
  /** Wall-clock time the chunk was committed (stage latency metrics). */
  committedWallMs: number;
  /** False for a chunk that continues a sentence: its translation must not start with a capital. */
  opensSentence: boolean;
  /** How the speaker said it, relative to their own average (absent when prosody is off). */
  prosody?: SpeakerProsody | undefined;
}

/** The not-yet-committed, stable part of the segment being spoken, to be shown as a draft. */
export interface DraftRequest {
  segmentId: number;
  /** Source text of the stable uncommitted words; '' clears the draft. */
  text: string;
  mediaStartMs: number;
  mediaEndMs: number;
  /** Chunks of the segment committed before this draft: a draft is shown only right after them. */
  afterChunks: number;
  opensSentence: boolean;
  /** Media end of each source word: a draft whose last words are hidden claims only what it shows. */
  wordEndsMs: number[];
}
