/**
 * The gateway half of a session while this node serves it: its state machine, the speaker's audio
 * sequence (duplicates dropped, every accepted frame stored on the bus before it is acknowledged)
 * and the hub (listener fan-out). The pipeline runs in a SessionRuntime, here (role `all`) or on a
 * worker; the two meet only on the bus: audio and demand go out, output and state events come in.
 *
 * States: created → live ⇄ paused → ended. `ended` is final.
 */
import { BabelcastError, ErrorCode, type SessionState, type SpeakerAudioFrame } from '@babelcast/protocol';
import type { Logger } from 'pino';
import type { MessageBus } from '../bus/bus.ts';
import { subjects } from '../bus/subjects.ts';
import { COUNTS_DEBOUNCE_MS, type HubLimits, type HubObserver, SessionHub } from '../hub/session-hub.ts';
import type { PauseReason, SessionRecord, Store } from '../store/store.ts';

/**
 * `refused`: the session is not live, so the frame was not taken (and must not be acknowledged:
 * nothing acknowledged is ever dropped).
 */
export type AudioVerdict = 'accepted' | 'duplicate' | 'refused';

const TRANSITIONS: Record<SessionState, SessionState[]> = {
  created: ['live', 'paused', 'ended'],
  live: ['paused', 'ended'],
  paused: ['live', 'ended'],
  ended: [],
};

export interface LiveSessionOptions {
  record: SessionRecord;
  bus: MessageBus;
  store: Store;
  logger: Logger;
  observer: HubObserver & { speakerAudioGap(frames: number): void };
  /** This gateway's id: its listeners' demand goes out under it. */
  gatewayId: string;
  hub: HubLimits;
  /** Highest speaker seq the bus already holds (a speaker that moved here from another gateway). */
  lastAudioSeq?: number | null;
  /**
   * After a state change is stored and announced: wait until the pipeline has reacted (its
   * flush for a pause; for an end, its last output and the `ended` event).
   */
  settle?: (to: SessionState) => Promise<void>;
  now?: () => number;
}

export class LiveSession {
  readonly hub: SessionHub;
  private record: SessionRecord;
  /** Highest speaker audio seq accepted; frames at or below it are duplicates from a resend. */
  private lastAudioSeq: number | null = null;
  private readonly now: () => number;

  constructor(private readonly options: LiveSessionOptions) {
    this.record = { ...options.record };
    this.now = options.now ?? Date.now;
    this.hub = new SessionHub({
      ...options.hub,
      sessionId: this.record.id,
      gatewayId: options.gatewayId,
      bus: options.bus,
      state: this.record.state,
      observer: options.observer,
      countsDebounceMs: COUNTS_DEBOUNCE_MS,
      // One clock for the session and its hub (idle time is read from the hub).
      now: this.now,
    });
    const stored = this.record.lastAudioSeq;
    const onBus = options.lastAudioSeq ?? null;
    this.lastAudioSeq = stored === null ? onBus : onBus === null ? stored : Math.max(stored, onBus);
  }

  get id(): string {
    return this.record.id;
  }
  get state(): SessionState {
    return this.record.state;
  }
  get ownerId(): string {
    return this.record.ownerId;
  }
  get snapshot(): SessionRecord {
    return { ...this.record };
  }
  /** Why the session is paused (null when it is not, or was paused before reasons were kept). */
  get pauseReason(): PauseReason | null {
    return this.record.state === 'paused' ? this.record.pauseReason : null;
  }
  get lastSpeakerSeq(): number | null {
    return this.lastAudioSeq;
  }

  /** `reason` says why a session is paused (default: the speaker asked). */
  async transition(to: SessionState, reason: PauseReason = 'speaker'): Promise<void> {
    const from = this.record.state;
    if (from === to) {
      if (to === 'paused' && reason === 'speaker' && this.record.pauseReason !== 'speaker') {
        // The speaker pauses a session the server paused: now only the speaker resumes it.
        this.record = { ...this.record, pauseReason: 'speaker' };
        await this.options.store.updateSessionState(this.id, to, this.now(), { pauseReason: 'speaker' });
      }
      return;
    }
    if (!TRANSITIONS[from].includes(to)) {
      throw new BabelcastError(
        from === 'ended' ? ErrorCode.SESSION_ENDED : ErrorCode.INVALID_STATE,
        `session ${this.id} is ${from}; it cannot become ${to}`,
      );
    }
    const at = this.now();
    this.record = {
      ...this.record,
      state: to,
      updatedAt: at,
      endedAt: to === 'ended' ? at : this.record.endedAt,
      pauseReason: to === 'paused' ? reason : null,
      lastAudioSeq: this.lastAudioSeq,
    };
    await this.options.store.updateSessionState(this.id, to, at, {
      pauseReason: this.record.pauseReason,
      lastAudioSeq: this.lastAudioSeq,
    });
    this.options.bus.publish(subjects.state(this.id), {
      type: 'state',
      state: to,
      lastAudioSeq: this.lastAudioSeq,
      ...(to === 'paused' ? { reason } : {}),
    });
    this.options.logger.info({ session: this.id, from, to }, 'session state changed');
    await this.options.settle?.(to);
  }

  /**
   * Speaker audio, in seq order. Duplicates (resent after a reconnect) are dropped; a gap is
   * accepted (the client could not resend those frames) and logged. Audio while the session is not
   * live is refused, not taken: the caller must not acknowledge it (nothing acknowledged is ever
   * dropped) and tells the speaker why. Resolves once the bus holds the frame (then it may be
   * acknowledged); rejects when the bus cannot take it (then it must not be).
   */
  async acceptAudio(frame: SpeakerAudioFrame): Promise<AudioVerdict> {
    if (this.lastAudioSeq !== null && frame.seq <= this.lastAudioSeq) return 'duplicate';
    if (this.record.state !== 'live') return 'refused';
    const { seq, captureTimeMs, samples } = frame;
    await this.options.bus.publishAcked(subjects.audio(this.id), {
      type: 'frame',
      seq,
      captureTimeMs,
      samples,
    });
    if (this.lastAudioSeq !== null && frame.seq > this.lastAudioSeq + 1) {
      this.options.observer.speakerAudioGap(frame.seq - this.lastAudioSeq - 1);
      this.options.logger.warn(
        { session: this.id, expected: this.lastAudioSeq + 1, got: frame.seq },
        'speaker audio gap',
      );
    }
    this.lastAudioSeq = frame.seq;
    return 'accepted';
  }

  /**
   * Catch up with frames another gateway accepted (a speaker that moved here): the bus knows the
   * highest seq it holds for the session.
   */
  async syncAudioPosition(): Promise<void> {
    const onBus = await this.options.bus.lastAudioSeq(this.id);
    if (onBus !== null && (this.lastAudioSeq === null || onBus > this.lastAudioSeq))
      this.lastAudioSeq = onBus;
  }

  /** Save the last accepted seq (node shutdown), so a speaker that reconnects after a restart resends exactly what was not taken. */
  async saveAudioPosition(): Promise<void> {
    if (this.record.state === 'ended' || this.record.lastAudioSeq === this.lastAudioSeq) return;
    this.record = { ...this.record, lastAudioSeq: this.lastAudioSeq };
    await this.options.store.updateSessionState(this.id, this.record.state, this.record.updatedAt, {
      lastAudioSeq: this.lastAudioSeq,
    });
  }
}
