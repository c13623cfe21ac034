/**
 * Turns a VAD's per-frame speech probabilities into utterances. Kept out of the VAD engines so
 * that every engine gets the same endpointing policy and the policy is configured in one place.
 *
 * Latency trade-off: `silenceMs` is the wait after the last speech frame before an utterance is
 * declared over. Shorter means earlier captions, but more sentences cut mid-pause; ~500 ms is
 * where conversational pauses between sentences usually sit. `maxUtteranceMs` forces a split so
 * a speaker who never pauses still gets captions.
 */
import { int16ToFloat32 } from '../audio/pcm.ts';
import type { VadStream } from '../engines/vad.ts';
import type { EndpointingTuning } from './tuning.ts';

/** Speech shorter than this is treated as a click/noise and discarded (ms). */
export const MIN_SPEECH_MS = 150;
/** Audio kept from before the first speech frame: word onsets are quiet and VADs are late (ms). */
export const PRE_ROLL_MS = 200;

export interface EndpointerOptions extends EndpointingTuning {
  frameSamples: number;
  sampleRate: number;
}

export type EndpointEvent =
  | { type: 'start'; atSample: number }
  | { type: 'audio'; samples: Int16Array; atSample: number }
  | { type: 'end'; atSample: number; forced: boolean };

export class Endpointer {
  private readonly frame: number;
  private readonly rate: number;
  private readonly threshold: number;
  private readonly silenceFrames: number;
  private readonly maxFrames: number;
  private readonly minSpeechFrames: number;
  private readonly preRollFrames: number;

  private pending = new Int16Array(0);
  /** Absolute index (in samples since the stream began) of `pending[0]`. */
  private pendingStart = 0;
  private preRoll: { samples: Int16Array; atSample: number }[] = [];
  private inSpeech = false;
  private utteranceFrames = 0;
  private speechFrames = 0;
  private silentRun = 0;
  /** Speech audio held until the utterance is long enough to count (see minSpeechMs). */
  private held: { samples: Int16Array; atSample: number }[] = [];
  private confirmed = false;

  constructor(
    private readonly vad: VadStream,
    options: EndpointerOptions,
  ) {
    this.frame = options.frameSamples;
    this.rate = options.sampleRate;
    const frames = (ms: number) => Math.max(1, Math.round((ms * this.rate) / 1000 / this.frame));
    this.threshold = options.threshold;
    this.silenceFrames = frames(options.silenceMs);
    this.maxFrames = frames(options.maxUtteranceMs);
    this.minSpeechFrames = frames(MIN_SPEECH_MS);
    this.preRollFrames = Math.round((PRE_ROLL_MS * this.rate) / 1000 / this.frame);
  }

  get speaking(): boolean {
    return this.inSpeech;
  }

  /** Feed any number of samples; returns the events they complete, in order. */
  push(samples: Int16Array): EndpointEvent[] {
    const joined = new Int16Array(this.pending.length + samples.length);
    joined.set(this.pending, 0);
    joined.set(samples, this.pending.length);
    const events: EndpointEvent[] = [];
    let at = 0;
    for (; at + this.frame <= joined.length; at += this.frame) {
      const frame = joined.subarray(at, at + this.frame);
      this.onFrame(frame.slice(), this.pendingStart + at, events);
    }
    this.pending = joined.slice(at);
    this.pendingStart += at;
    return events;
  }

  /** End of input (speaker paused or left): close any open utterance. */
  flush(): EndpointEvent[] {
    const events: EndpointEvent[] = [];
    if (this.inSpeech) this.close(this.pendingStart, false, events);
    this.pendingStart += this.pending.length;
    this.pending = new Int16Array(0);
    this.preRoll = [];
    this.vad.reset();
    return events;
  }

  private onFrame(frame: Int16Array, atSample: number, events: EndpointEvent[]): void {
    const isSpeech = this.vad.process(int16ToFloat32(frame)) >= this.threshold;
    if (!this.inSpeech) {
      if (!isSpeech) {
        this.preRoll.push({ samples: frame, atSample });
        if (this.preRoll.length > this.preRollFrames) this.preRoll.shift();
        return;
      }
      this.inSpeech = true;
      this.confirmed = false;
      this.utteranceFrames = 0;
      this.speechFrames = 0;
      this.silentRun = 0;
      this.held = [...this.preRoll];
      this.preRoll = [];
    }
    this.utteranceFrames++;
    if (isSpeech) {
      this.speechFrames++;
      this.silentRun = 0;
    } else {
      this.silentRun++;
    }
    this.emitAudio({ samples: frame, atSample }, events);
    if (this.silentRun >= this.silenceFrames) {
      this.close(atSample + this.frame, false, events);
    } else if (this.utteranceFrames >= this.maxFrames) {
      // Forced split: the next frame starts a new utterance if speech goes on.
      this.close(atSample + this.frame, true, events);
    }
  }

  private emitAudio(chunk: { samples: Int16Array; atSample: number }, events: EndpointEvent[]): void {
    if (this.confirmed) {
      events.push({ type: 'audio', ...chunk });
      return;
    }
    this.held.push(chunk);
    if (this.speechFrames >= this.minSpeechFrames) {
      this.confirmed = true;
      events.push({ type: 'start', atSample: this.held[0]!.atSample });
      for (const h of this.held) events.push({ type: 'audio', ...h });
      this.held = [];
    }
  }

  private close(atSample: number, forced: boolean, events: EndpointEvent[]): void {
    if (this.confirmed) events.push({ type: 'end', atSample, forced });
    this.inSpeech = false;
    this.confirmed = false;
    this.held = [];
    this.utteranceFrames = 0;
    this.speechFrames = 0;
    this.silentRun = 0;
  }
}
