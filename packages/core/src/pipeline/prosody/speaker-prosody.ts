/**
 * The speaker's pace and emphasis per committed chunk, relative to their own running average:
 * a chunk said faster, louder or with more pitch movement than this speaker usually speaks. Only
 * relative values leave here, so a quiet microphone or a naturally fast talker is neutral.
 */
import { speechFeatures } from './speech-features.ts';
import { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';

/** One chunk compared with the speaker's running average; all neutral = { 1, 0, 1 }. */
export interface SpeakerProsody {
  /** Words per second ÷ the speaker's average. */
  rate: number;
  /** Loudness minus the speaker's average, dB. */
  loudnessDb: number;
  /** Pitch movement (semitone spread) ÷ the speaker's average. */
  pitchMovement: number;
}

export const NEUTRAL_SPEAKER: SpeakerProsody = Object.freeze({ rate: 1, loudnessDb: 0, pitchMovement: 1 });

const RATE = SPEAKER_SAMPLE_RATE;
/** Speaker audio kept for measuring: commits can trail the audio by the ASR backlog (up to 20 s). */
const KEEP_SECONDS = 60;
/** Chunks averaged plainly before the average becomes exponential (a steady start). */
const WARM_UP_CHUNKS = 5;
/** Weight of each new chunk in the running average: about the last 10 chunks (~20 s of speech). */
const SMOOTHING = 0.1;
/** A chunk shorter than this says little about pace (one word's length dominates). */
const MIN_RATE_SPAN_MS = 500;

class RunningMean {
  private n = 0;
  value = 0;
  get ready(): boolean {
    return this.n > 0;
  }
  add(x: number): void {
    this.n++;
    this.value += (x - this.value) / (this.n <= WARM_UP_CHUNKS ? this.n : 1 / SMOOTHING);
  }
}

export class SpeakerProsodyMeter {
  private readonly ring = new Int16Array(KEEP_SECONDS * RATE);
  /** Samples received since the session's first (media time × 16). */
  private received = 0;
  private readonly rate = new RunningMean();
  private readonly loudness = new RunningMean();
  private readonly movement = new RunningMean();

  /**
   * The speaker's audio, in order, as the pipeline receives it; `mediaEndSample` is the media
   * position just after it (media time need not start at 0 for a session taken over).
   */
  push(samples: Int16Array, mediaEndSample = this.received + samples.length): void {
    const size = this.ring.length;
    const tail = samples.length > size ? samples.subarray(samples.length - size) : samples;
    let at = (mediaEndSample - tail.length) % size;
    let from = 0;
    while (from < tail.length) {
      const n = Math.min(tail.length - from, size - at);
      this.ring.set(tail.subarray(from, from + n), at);
      from += n;
      at = (at + n) % size;
    }
    this.received = mediaEndSample;
  }

  /**
   * Measures the chunk spoken between `startMs` and `endMs` (media time) with `words` words and
   * adds it to the running averages. The first chunk, and anything not measurable (audio already
   * forgotten, silence), is neutral.
   */
  measure(startMs: number, endMs: number, words: number): SpeakerProsody {
    const audio = this.audio(startMs, endMs);
    const features = audio ? speechFeatures(audio) : undefined;
    const spanMs = endMs - startMs;
    const wordsPerSecond = spanMs >= MIN_RATE_SPAN_MS && words > 0 ? (words * 1000) / spanMs : undefined;
    const result = {
      rate: wordsPerSecond !== undefined && this.rate.ready ? wordsPerSecond / this.rate.value : 1,
      loudnessDb:
        features?.loudnessDb !== undefined && this.loudness.ready
          ? features.loudnessDb - this.loudness.value
          : 0,
      pitchMovement:
        features?.pitchMovementSt !== undefined && this.movement.ready && this.movement.value > 0
          ? features.pitchMovementSt / this.movement.value
          : 1,
    };
    if (wordsPerSecond !== undefined) this.rate.add(wordsPerSecond);
    if (features?.loudnessDb !== undefined) this.loudness.add(features.loudnessDb);
    if (features?.pitchMovementSt !== undefined) this.movement.add(features.pitchMovementSt);
    return result;
  }

  /** The samples of a media span, or undefined when they are no longer (or not yet) kept. */
  private audio(startMs: number, endMs: number): Int16Array | undefined {
    const from = Math.max(0, Math.round((startMs * RATE) / 1000));
    const to = Math.min(this.received, Math.round((endMs * RATE) / 1000));
    if (to <= from || from < this.received - this.ring.length) return undefined;
    const out = new Int16Array(to - from);
    const size = this.ring.length;
    for (let i = 0; i < out.length; i++) out[i] = this.ring[(from + i) % size]!;
    return out;
  }
}
