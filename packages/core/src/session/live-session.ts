/**
 * A session while this node serves it: its state machine, the speaker's audio sequence, the
 * pipeline (started on the first audio, so an idle session costs nothing) and the hub.
 *
 * States: created → live ⇄ paused → ended. `ended` is final.
 */
import { BabelcastError, ErrorCode, type SessionState, type SpeakerAudioFrame } from '@babelcast/protocol';
import type { Logger } from 'pino';
import type { EngineSet } from '../engines/index.ts';
import type { MessageBus, Unsubscribe } from '../bus/bus.ts';
import { type SpeakerFrame, subjects } from '../bus/subjects.ts';
import { SessionHub } from '../hub/session-hub.ts';
import { SessionPipeline, type SessionPipelineOptions } from '../pipeline/session-pipeline.ts';
import type { PipelineObserver } from '../pipeline/types.ts';
import type { HubObserver } from '../hub/session-hub.ts';
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
  engines: EngineSet;
  bus: MessageBus;
  store: Store;
  logger: Logger;
  observer: PipelineObserver & HubObserver;
  pipeline?: Pick<
    SessionPipelineOptions,
    'endpointing' | 'track' | 'mode' | 'simultaneous' | 'voice' | 'backlog'
  >;
  hub?: {
    historySize?: number;
    audioDropBytes?: number;
    maxBufferedBytes?: number;
    stuckMs?: number;
    demandGraceMs?: number;
  };
  /** Log every final and translation (off by default: talks are often private). */
  logTranscripts?: boolean;
  /** Numbering resumes after what the store already holds. */
  firstSeq: number;
  firstSegmentId: number;
  now?: () => number;
}

export class LiveSession {
  readonly hub: SessionHub;
  private pipeline: SessionPipeline | null = null;
  private record: SessionRecord;
  /** Highest speaker audio seq accepted; frames at or below it are duplicates from a resend. */
  private lastAudioSeq: number | null = null;
  private readonly now: () => number;
  private storeWrites: Promise<unknown> = Promise.resolve();
  /** Highest segment id stored, so a pipeline started after a release continues the numbering. */
  private lastSegmentId = 0;
  /** Highest speaker seq handed to the pipeline: accepted frames come back from the bus (at once in memory). */
  private pushedSeq: number | null;
  private drainWaiters: { seq: number; done: () => void }[] = [];
  private readonly unsubscribeAudio: Unsubscribe;

  constructor(private readonly options: LiveSessionOptions) {
    this.record = { ...options.record };
    this.now = options.now ?? Date.now;
    this.hub = new SessionHub({
      sessionId: this.record.id,
      sourceLanguage: this.record.sourceLanguage,
      bus: options.bus,
      state: this.record.state,
      observer: options.observer,
      // One clock for the session and its hub (idle time is read from the hub).
      now: this.now,
      ...options.hub,
    });
    this.lastAudioSeq = this.record.lastAudioSeq;
    this.pushedSeq = this.record.lastAudioSeq;
    this.unsubscribeAudio = options.bus.subscribe(subjects.audio(this.id), (frame) => this.onFrame(frame));
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
  /** True while a pipeline (engine streams) is held; false after a release, or before any audio. */
  get hasPipeline(): boolean {
    return this.pipeline !== null;
  }
  get lastSpeakerSeq(): number | null {
    return this.lastAudioSeq;
  }
  get activeLanguages(): string[] {
    return this.pipeline?.activeLanguages ?? [];
  }
  /** Speech waiting for the recogniser, in seconds (0 without a pipeline). */
  get asrBacklogSeconds(): number {
    return this.pipeline?.asrBacklogSeconds ?? 0;
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
    if (to === 'paused' || to === 'ended') {
      await this.audioDrained();
      await this.pipeline?.flush();
    }
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
    const { bus } = this.options;
    bus.publish(subjects.state(this.id), { type: 'state', state: to });
    this.options.logger.info({ session: this.id, from, to }, 'session state changed');
    if (to === 'ended') {
      this.unsubscribeAudio();
      await this.pipeline?.close();
      this.pipeline = null;
      await this.storeWrites;
      // Gateways (this node's hub too) close the session's sockets on it, after the last output.
      bus.publish(subjects.state(this.id), { type: 'ended' });
      await bus
        .endSession(this.id)
        .catch((err) => this.options.logger.warn({ err, session: this.id }, 'bus kept session data'));
    }
  }

  /**
   * Speaker audio, in seq order. Duplicates (resent after a reconnect) are dropped; a gap is
   * accepted (the client could not resend those frames) and logged. Audio while the session is not
   * live is refused, not taken: the caller must not acknowledge it (nothing acknowledged is ever
   * dropped) and tells the speaker why.
   */
  acceptAudio(frame: SpeakerAudioFrame): AudioVerdict {
    if (this.lastAudioSeq !== null && frame.seq <= this.lastAudioSeq) return 'duplicate';
    if (this.record.state !== 'live') return 'refused';
    if (this.lastAudioSeq !== null && frame.seq > this.lastAudioSeq + 1) {
      this.options.observer.speakerAudioGap(frame.seq - this.lastAudioSeq - 1);
      this.options.logger.warn(
        { session: this.id, expected: this.lastAudioSeq + 1, got: frame.seq },
        'speaker audio gap',
      );
    }
    this.lastAudioSeq = frame.seq;
    const { seq, captureTimeMs, samples } = frame;
    this.options.bus.publish(subjects.audio(this.id), { type: 'frame', seq, captureTimeMs, samples });
    return 'accepted';
  }

  /** The worker side: accepted frames, in order, into the pipeline. */
  private onFrame(frame: SpeakerFrame): void {
    if (this.record.state === 'ended' || (this.pushedSeq !== null && frame.seq <= this.pushedSeq)) return;
    this.pushedSeq = frame.seq;
    try {
      this.ensurePipeline().pushAudio(frame.samples);
    } finally {
      if (this.drainWaiters.length) {
        const due = this.drainWaiters.filter((w) => w.seq <= frame.seq);
        this.drainWaiters = this.drainWaiters.filter((w) => w.seq > frame.seq);
        for (const w of due) w.done();
      }
    }
  }

  /** Accepted frames still on their way through the bus (none in memory) reach the pipeline first. */
  private async audioDrained(timeoutMs = 2000): Promise<void> {
    const target = this.lastAudioSeq;
    if (target === null || (this.pushedSeq !== null && this.pushedSeq >= target)) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.drainWaiters.push({ seq: target, done: resolve });
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    if (this.pushedSeq === null || this.pushedSeq < target)
      this.options.logger.warn(
        { session: this.id, target, pushed: this.pushedSeq },
        'audio still in transit',
      );
  }

  /**
   * Flush output and release the pipeline (its engine streams) without changing state: node
   * shutdown, or a session left without a speaker. The last accepted audio seq is saved so a
   * speaker that reconnects after a restart resends exactly what was not taken.
   */
  async suspend(): Promise<void> {
    await this.audioDrained();
    await this.pipeline?.flush();
    await this.pipeline?.close();
    this.pipeline = null;
    await this.storeWrites;
    if (this.record.state !== 'ended' && this.record.lastAudioSeq !== this.lastAudioSeq) {
      this.record = { ...this.record, lastAudioSeq: this.lastAudioSeq };
      await this.options.store.updateSessionState(this.id, this.record.state, this.record.updatedAt, {
        lastAudioSeq: this.lastAudioSeq,
      });
    }
  }

  private ensurePipeline(): SessionPipeline {
    if (this.pipeline) return this.pipeline;
    const { options } = this;
    this.pipeline = new SessionPipeline({
      sessionId: this.id,
      sourceLanguage: this.record.sourceLanguage,
      engines: options.engines,
      bus: options.bus,
      logger: options.logger.child({ session: this.id }),
      observer: options.observer,
      firstSeq: Math.max(options.firstSeq, this.hub.seq),
      firstSegmentId: Math.max(options.firstSegmentId, this.lastSegmentId) + 1,
      ...options.pipeline,
      onTranscript: (segment) => {
        this.lastSegmentId = Math.max(this.lastSegmentId, segment.segmentId);
        if (options.logTranscripts) {
          // Opt-in only. `caption` is not a redacted key, unlike `text`.
          const { segmentId, lang, kind, text } = segment;
          options.logger.info({ session: this.id, segmentId, lang, kind, caption: text }, 'transcript');
        }
        this.storeWrites = this.storeWrites
          .then(() => options.store.appendSegment(segment))
          .catch((err) => options.logger.error({ err, session: this.id }, 'transcript segment not stored'));
      },
    });
    // The pipeline missed the demand announcements made before it existed.
    this.hub.announceDemand();
    return this.pipeline;
  }
}
