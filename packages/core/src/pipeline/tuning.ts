/**
 * The pipeline's tunable policy in one place: the server's config schema takes its defaults from
 * here and the pipeline receives the resolved values. Each number is a latency/quality trade-off;
 * the reasons are next to them.
 */
export type PipelineMode = 'simultaneous' | 'sentence';

/** Interpreter-like drafts and chunks (see session-pipeline.ts); `sentence` is the quality reference. */
export const DEFAULT_MODE: PipelineMode = 'simultaneous';

/** How the Endpointer cuts the speaker's audio into utterances (see endpointer.ts). */
export interface EndpointingTuning {
  /** Probability at or above which a frame counts as speech. */
  threshold: number;
  /** Silence after the last speech frame that ends an utterance (ms). */
  silenceMs: number;
  /** An utterance is split after this long even if the speaker never pauses (ms). */
  maxUtteranceMs: number;
}

/** What every language track of a session shares (see language-track.ts). */
export interface TrackTuning {
  /** The operator's base speaking rate; the voice's catch-up multiplies it. */
  ttsRate: number;
  /** Opus frames per audio packet; 10 × 20 ms = 200 ms, which halves per-message fan-out cost vs 100 ms. */
  framesPerPacket: number;
  /** Translate and synthesise a short phrase when a track starts, so its first real chunk is fast. */
  warmUp: boolean;
}

export interface SimultaneousTuning {
  /** Interim hypotheses that must agree before a word is shown (LocalAgreement-n). */
  agreement: number;
  /** A word that ended this long before the newest hypothesis is shown even without agreement (ms). */
  maxUnconfirmedMs: number;
  /** A silence this long after a stable word commits the chunk (ms). */
  pauseMs: number;
  /** Stable words waiting that make a chunk without a pause. */
  maxChunkWords: number;
  /** Fewest words in a chunk committed before the utterance ends. */
  minChunkWords: number;
  /** At most one translated draft per language per this interval (ms); newer drafts replace waiting ones. */
  draftIntervalMs: number;
  /** Last words of each translated draft hidden (mask-k): less flicker, a little more lag. */
  draftMaskWords: number;
}

export interface VoiceTuning {
  /** Above this lag behind the speaker the voice speaks faster (ms). */
  targetLagMs: number;
  /** Fastest speaking-rate multiplier used to catch up. */
  maxRate: number;
  /** Above this lag the voice skips waiting chunks and speaks the newest (ms). */
  skipAheadLagMs: number;
  /** Carry the speaker's pace, loudness and pitch movement into the voice (see prosody/); default on. */
  prosody?: boolean;
}

export const DEFAULT_ENDPOINTING: EndpointingTuning = {
  threshold: 0.5,
  // Conversational pauses between sentences usually sit around 500 ms: shorter cuts sentences
  // mid-pause, longer delays every caption.
  silenceMs: 500,
  maxUtteranceMs: 10_000,
};

export const DEFAULT_TRACK: TrackTuning = { ttsRate: 1, framesPerPacket: 10, warmUp: true };

/**
 * Speech waiting for the recogniser beyond which the speaker's socket stops being read (s); it is
 * read again once the backlog has halved.
 */
export const DEFAULT_MAX_ASR_BACKLOG_SECONDS = 20;

export const DEFAULT_SIMULTANEOUS: SimultaneousTuning = {
  agreement: 2,
  // Bounds how long one word the recogniser keeps revising can hold back the draft.
  maxUnconfirmedMs: 1200,
  // Pauses inside a sentence (breath, comma) are 150–300 ms; the endpointer's 500 ms ends sentences.
  pauseMs: 200,
  // About 2 s of English: a clause. Shorter chunks lose translation quality; longer ones delay
  // the voice (a chunk is voiced once committed).
  maxChunkWords: 5,
  minChunkWords: 3,
  // Drafts cost one MT call each; 400 ms keeps Apertium well under 10 % of a core per language.
  draftIntervalMs: 400,
  // Measured on long-en-01 (es, fr): mask 0 → erasure 0.35/0.37, mask 1 → 0.11/0.18, for about
  // 0.3 s more text lag. Re-translating a growing prefix mostly changes its last word.
  draftMaskWords: 1,
};

export const DEFAULT_VOICE: Required<VoiceTuning> = {
  // A human interpreter's ear–voice span is 2–3 s.
  targetLagMs: 2500,
  // Faster than 1.4× becomes hard to follow with espeak-ng and flite.
  maxRate: 1.4,
  skipAheadLagMs: 6000,
  prosody: true,
};
