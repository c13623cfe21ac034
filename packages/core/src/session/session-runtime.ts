/**
 * The worker half of a session: it reads the speaker's frames from the bus (a durable consumer),
 * drops duplicates, runs the pipeline (started on the first frame, so an idle session costs
 * nothing), writes the transcript to the store, and reacts to the session's state events (flush
 * on pause, close on end). It never touches sockets or the hub: everything it says leaves on the
 * bus, so it runs in the same process as the gateway (role `all`) or on another machine (role
 * `worker`).
 *
 * Resuming: at quiet points (nothing heard is still being recognised or translated) it
 * acknowledges the frames processed, with a mark holding its media clock and numbering. A runtime
 * made later for the session, here or on another worker, starts right after that frame with that
 * mark, so at most the speech since the last quiet point (the sentence in flight) is recognised
 * again. Output seq numbers jump forward by TAKEOVER_SEQ_GAP at a takeover, so they never repeat.
 */
import type { Logger } from 'pino';
import { within } from '../async/within.ts';
import type { AudioConsumer, MessageBus, ResumeMark, Unsubscribe } from '../bus/bus.ts';
import { type SessionEvent, type SpeakerFrame, subjects } from '../bus/subjects.ts';
import type { EngineSet } from '../engines/index.ts';
import { type PipelineSettings, SessionPipeline } from '../pipeline/session-pipeline.ts';
import type { PipelineObserver } from '../pipeline/types.ts';
import type { Store } from '../store/store.ts';

/** Output seq numbers skipped at a takeover: more than a worker emits between two mark updates. */
export const TAKEOVER_SEQ_GAP = 1000;
/** How often the output seq high-water goes into the mark while speech flows without a quiet point. */
const MARK_EVERY_MS = 1000;
/** How long a resuming runtime waits for the listeners' demand before it goes on without. */
const DEMAND_WAIT_MS = 1500;
/** Quiet points are acknowledged at most this often. */
const ACK_EVERY_MS = 500;

export interface RuntimeObserver extends PipelineObserver {
  /** Frames the bus did not deliver although they were accepted (must never happen). */
  workerAudioGap?(frames: number): void;
  /** This worker resumed a session another holder had run. */
  takeover?(): void;
}

export interface SessionRuntimeOptions {
  sessionId: string;
  sourceLanguage: string;
  engines: EngineSet;
  bus: MessageBus;
  store: Store;
  logger: Logger;
  observer: RuntimeObserver;
  pipeline: PipelineSettings;
  /** Log every final and translation (off in the config: talks are often private). */
  logTranscripts: boolean;
  /** Numbering resumes after what the store already holds. */
  firstSeq: number;
  firstSegmentId: number;
  /** Set by a worker that claims a session: it says `resumed` when it goes on from a predecessor. */
  takeover?: { worker: string };
  /** The session ended and the runtime has published `ended`: its owner forgets it. */
  onEnded?: () => void;
  now?: () => number;
}

export class SessionRuntime {
  private consumer: AudioConsumer | null = null;
  /** Frames delivered before consumeAudio resolved (and with it, where to resume): held until then. */
  private early: SpeakerFrame[] | null = [];
  private pipeline: SessionPipeline | null = null;
  /** Highest speaker seq handed to the pipeline. */
  private pushedSeq: number | null = null;
  /** Highest speaker seq acknowledged on the bus, and the mark saved with it. */
  private ackedSeq = 0;
  private mark: ResumeMark;
  private lastAckAt = 0;
  private lastSegmentId: number;
  private seqOrigin: number;
  private mediaOrigin = 0;
  private storeWrites: Promise<unknown> = Promise.resolve();
  private drainWaiters: { seq: number; done: () => void }[] = [];
  private reaction: Promise<void> = Promise.resolve();
  private readonly unsubscribeState: Unsubscribe;
  private readonly markTimer: NodeJS.Timeout;
  private ended = false;
  private closed = false;
  private readonly now: () => number;

  private constructor(private readonly options: SessionRuntimeOptions) {
    this.now = options.now ?? Date.now;
    this.lastSegmentId = options.firstSegmentId;
    this.seqOrigin = options.firstSeq;
    this.mark = { mediaSamples: 0, segmentId: options.firstSegmentId, outputSeq: options.firstSeq };
    this.unsubscribeState = options.bus.subscribe(subjects.state(options.sessionId), (event) =>
      this.onEvent(event),
    );
    this.markTimer = setInterval(() => this.saveMark(), MARK_EVERY_MS);
    this.markTimer.unref?.();
  }

  /** Makes the runtime and starts reading the session's frames after the last acknowledged one. */
  static async start(options: SessionRuntimeOptions): Promise<SessionRuntime> {
    const runtime = new SessionRuntime(options);
    try {
      const consumer = await options.bus.consumeAudio(options.sessionId, (frame) => runtime.onFrame(frame));
      await runtime.resumeFrom(consumer);
    } catch (err) {
      await runtime.close();
      throw err;
    }
    return runtime;
  }

  get sessionId(): string {
    return this.options.sessionId;
  }
  /** True while a pipeline (engine streams) is held. */
  get hasPipeline(): boolean {
    return this.pipeline !== null;
  }
  /** True when this runtime went on from a predecessor's acknowledged frame. */
  get resumed(): boolean {
    return this.ackedSeq > 0;
  }

  private async resumeFrom(consumer: AudioConsumer): Promise<void> {
    this.consumer = consumer;
    this.resumeAt(consumer);
    if (consumer.resumedAfter > 0) {
      // Going on from a predecessor: know which languages listeners hear before the speech it had
      // not finished is recognised again (else that speech would be captioned but not translated).
      await within(this.ensurePipeline().demandKnown, DEMAND_WAIT_MS);
    }
    const early = this.early ?? [];
    this.early = null;
    for (const frame of early) this.onFrame(frame);
  }

  private resumeAt(consumer: AudioConsumer): void {
    const { resumedAfter, resumeMark } = consumer;
    if (resumedAfter <= 0) return;
    this.pushedSeq = resumedAfter;
    this.ackedSeq = resumedAfter;
    if (resumeMark) {
      this.mark = resumeMark;
      this.mediaOrigin = resumeMark.mediaSamples;
      this.lastSegmentId = Math.max(this.lastSegmentId, resumeMark.segmentId);
      this.seqOrigin = Math.max(this.seqOrigin, resumeMark.outputSeq + TAKEOVER_SEQ_GAP);
    }
    this.options.logger.info(
      { session: this.sessionId, afterSeq: resumedAfter, seq: this.seqOrigin },
      'resuming the session from the audio stream',
    );
    if (this.options.takeover) {
      this.options.observer.takeover?.();
      this.options.bus.publish(subjects.state(this.sessionId), {
        type: 'resumed',
        worker: this.options.takeover.worker,
      });
    }
  }

  /** Frames from the bus, in order. */
  private onFrame(frame: SpeakerFrame): void {
    if (this.ended || this.closed) return;
    if (this.early) {
      this.early.push(frame);
      return;
    }
    if (this.pushedSeq !== null && frame.seq <= this.pushedSeq) return;
    if (this.pushedSeq !== null && frame.seq > this.pushedSeq + 1)
      this.options.observer.workerAudioGap?.(frame.seq - this.pushedSeq - 1);
    this.pushedSeq = frame.seq;
    try {
      const pipeline = this.ensurePipeline();
      pipeline.pushAudio(frame.samples);
      this.ackIfQuiet();
    } finally {
      if (this.drainWaiters.length) {
        const due = this.drainWaiters.filter((w) => w.seq <= frame.seq);
        this.drainWaiters = this.drainWaiters.filter((w) => w.seq > frame.seq);
        for (const w of due) w.done();
      }
    }
  }

  /** At a quiet point, everything pushed so far never needs recognising again. */
  private ackIfQuiet(force = false): void {
    const p = this.pipeline;
    const seq = this.pushedSeq;
    if (!p || seq === null || !this.consumer || !p.quiet) return;
    if (!force && this.now() - this.lastAckAt < ACK_EVERY_MS) return;
    this.lastAckAt = this.now();
    this.ackedSeq = Math.max(this.ackedSeq, seq);
    this.saveAck({ mediaSamples: p.mediaSamples, segmentId: p.lastSegmentId, outputSeq: p.lastSeq });
  }

  /** Between quiet points, keep the output high-water current so a successor never reuses a seq. */
  private saveMark(): void {
    const p = this.pipeline;
    if (!p || !this.consumer || this.closed || p.lastSeq <= this.mark.outputSeq) return;
    this.saveAck({ ...this.mark, outputSeq: p.lastSeq });
  }

  /** Record `mark` with the acknowledged seq on the bus (a successor resumes from both). */
  private saveAck(mark: ResumeMark): void {
    this.mark = mark;
    this.consumer
      ?.ack(this.ackedSeq, mark)
      .catch((err) => this.options.logger.warn({ err, session: this.sessionId }, 'audio ack not saved'));
  }

  /** State events from the gateway side: flush for a pause, finish for an end. */
  private onEvent(event: SessionEvent): void {
    if (event.type !== 'state' || this.closed) return;
    if (event.state === 'paused') {
      const release = event.reason === 'idle' || event.reason === 'shutdown';
      this.react(async () => {
        await this.drained(event.lastAudioSeq ?? null);
        if (release) await this.suspend();
        else {
          await this.pipeline?.flush();
          this.ackIfQuiet(true);
        }
      });
    } else if (event.state === 'ended') {
      this.react(() => this.finish(event.lastAudioSeq ?? null));
    }
  }

  private react(work: () => Promise<void>): void {
    this.reaction = this.reaction
      .then(work)
      .catch((err) => this.options.logger.error({ err, session: this.sessionId }, 'session runtime failed'));
  }

  /** Resolves when the reactions to the state events received so far are done. */
  settled(): Promise<void> {
    return this.reaction;
  }

  /** Accepted frames still on their way through the bus reach the pipeline first. */
  private async drained(target: number | null, timeoutMs = 2000): Promise<void> {
    if (target === null || (this.pushedSeq !== null && this.pushedSeq >= target)) return;
    await within(new Promise<void>((done) => this.drainWaiters.push({ seq: target, done })), timeoutMs);
    if (this.pushedSeq === null || this.pushedSeq < target)
      this.options.logger.warn(
        { session: this.sessionId, target, pushed: this.pushedSeq },
        'audio still in transit',
      );
  }

  /** The session ended: last output, transcript stored, then `ended` for the gateways. */
  private async finish(lastAudioSeq: number | null): Promise<void> {
    if (this.ended) return;
    await this.drained(lastAudioSeq);
    this.ended = true;
    await this.pipeline?.flush();
    await this.pipeline?.close();
    this.pipeline = null;
    await this.storeWrites;
    const { bus, logger } = this.options;
    // Gateways close the session's sockets on it, after the last output.
    bus.publish(subjects.state(this.sessionId), { type: 'ended' });
    await this.consumer?.close();
    this.consumer = null;
    await bus
      .endSession(this.sessionId)
      .catch((err) => logger.warn({ err, session: this.sessionId }, 'bus kept session data'));
    await this.close();
    this.options.onEnded?.();
  }

  /**
   * Flush and release the pipeline (its engine streams), keep reading: idle or shutdown pause.
   * The next frame starts a new pipeline that goes on with the numbering.
   */
  async suspend(): Promise<void> {
    const p = this.pipeline;
    if (!p) return;
    await p.flush();
    this.ackIfQuiet(true);
    this.seqOrigin = Math.max(this.seqOrigin, p.lastSeq);
    this.lastSegmentId = Math.max(this.lastSegmentId, p.lastSegmentId);
    this.mediaOrigin = p.mediaSamples;
    await p.close();
    if (this.pipeline === p) this.pipeline = null;
    await this.storeWrites;
  }

  /**
   * Stop without acknowledging anything more: a handover (another runtime resumes from the last
   * acknowledged frame) or the end. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.markTimer);
    this.unsubscribeState();
    for (const w of this.drainWaiters.splice(0)) w.done();
    await this.consumer?.close();
    this.consumer = null;
    await this.pipeline?.close();
    this.pipeline = null;
    await this.storeWrites;
  }

  /** Graceful stop (worker shutdown): finish what was heard, acknowledge it, then close. */
  async stop(): Promise<void> {
    if (this.closed) return;
    await this.reaction;
    await this.pipeline?.flush();
    this.ackIfQuiet(true);
    await this.close();
  }

  private ensurePipeline(): SessionPipeline {
    if (this.pipeline) return this.pipeline;
    const { options } = this;
    this.pipeline = new SessionPipeline({
      sessionId: this.sessionId,
      sourceLanguage: options.sourceLanguage,
      engines: options.engines,
      bus: options.bus,
      logger: options.logger.child({ session: this.sessionId }),
      observer: options.observer,
      firstSeq: this.seqOrigin,
      firstSegmentId: this.lastSegmentId + 1,
      firstMediaSamples: this.mediaOrigin,
      ...options.pipeline,
      onTranscript: (segment) => {
        this.lastSegmentId = Math.max(this.lastSegmentId, segment.segmentId);
        if (options.logTranscripts) {
          // Opt-in only. `caption` is not a redacted key, unlike `text`.
          const { segmentId, lang, kind, text } = segment;
          options.logger.info(
            { session: this.sessionId, segmentId, lang, kind, caption: text },
            'transcript',
          );
        }
        this.storeWrites = this.storeWrites
          .then(() => options.store.appendSegment(segment))
          .catch((err) =>
            options.logger.error({ err, session: this.sessionId }, 'transcript segment not stored'),
          );
      },
    });
    return this.pipeline;
  }
}
