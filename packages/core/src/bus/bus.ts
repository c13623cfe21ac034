/**
 * The message bus between a session's gateways (speaker and listener sockets) and its worker (the
 * pipeline). In one process it is a synchronous in-memory fan-out (InMemoryBus); across machines
 * it is NATS JetStream (@babelcast/bus-nats). Both pass the same conformance suite
 * (core/src/testing/bus-conformance.ts). Subjects and their message types: ./subjects.ts.
 */
import {
  type MessageOf,
  SUBJECT_RETENTION,
  type SpeakerFrame,
  type Subject,
  type SubjectKind,
  subjectMatches,
  subjects,
} from './subjects.ts';

export type Unsubscribe = () => void;

/** `reconnecting`: the bus lost its server and is trying again (with backoff); `closed`: for good. */
export type BusStatus = 'connected' | 'reconnecting' | 'closed';

/**
 * What a worker needs to go on exactly where its predecessor stopped, saved with each ack: the
 * media time and segment numbering at the acknowledged frame, and the highest output seq issued
 * so far (which may be later than the ack: output keeps flowing between acks).
 */
export interface ResumeMark {
  /** Samples of speech before the first frame after the ack (the pipeline's media clock). */
  mediaSamples: number;
  /** Last segment id fully finished at the ack. */
  segmentId: number;
  /** Highest output seq issued. */
  outputSeq: number;
}

/** A durable reader of one session's speaker frames (see MessageBus.consumeAudio). */
export interface AudioConsumer {
  /** The speaker seq acknowledged by the predecessor (0: none), and its mark. */
  readonly resumedAfter: number;
  readonly resumeMark: ResumeMark | null;
  /**
   * Every frame up to `seq` (the speaker's seq) is processed: a consumer made later for this
   * session, by this process or another, starts after it. Cumulative; resolves once the bus has
   * recorded it. With the same `seq` as before, only the mark is updated.
   */
  ack(seq: number, mark?: ResumeMark): Promise<void>;
  /** Stop delivery. Frames not acknowledged are delivered again to the next consumer. Idempotent. */
  close(): Promise<void>;
}

export interface MessageBus {
  readonly status: BusStatus;
  /**
   * Fire and forget, in order per subject. In memory, subscribers run before this returns (and
   * what they throw reaches the publisher); over a network it is queued for sending.
   */
  publish<K extends SubjectKind>(subject: Subject<K>, message: MessageOf<K>): void;
  /**
   * Publish, and resolve once the bus holds the message: for audio, stored in the stream (what a
   * gateway waits for before acknowledging a frame to the speaker); otherwise, sent to the server.
   */
  publishAcked<K extends SubjectKind>(subject: Subject<K>, message: MessageOf<K>): Promise<void>;
  /**
   * Messages published on `subject` from now on, in order. On a `demand` subject (latest value)
   * the value published before is delivered first, and quick successive changes may arrive
   * coalesced. For audio this is a live tap; a worker uses consumeAudio.
   */
  subscribe<K extends SubjectKind>(
    subject: Subject<K>,
    handler: (message: MessageOf<K>) => void,
  ): Unsubscribe;
  /**
   * The session's speaker frames, in seq order, starting after the last frame acknowledged (by any
   * earlier consumer of this session; from the oldest the bus still holds if none). Frames are
   * kept from the session's first frame on, within the bus's retention. A new consumer
   * of a session takes over: the previous one gets nothing more.
   */
  consumeAudio(sessionId: string, handler: (frame: SpeakerFrame) => void): Promise<AudioConsumer>;
  /** The highest speaker seq the bus holds for the session (null: none), e.g. for a gateway that takes over a speaker. */
  lastAudioSeq(sessionId: string): Promise<number | null>;
  /**
   * Resolves once the subscriptions made and the messages published before the call are in force
   * at the bus server (in memory: at once). For tests and handovers; ordinary code never waits.
   */
  flush(): Promise<void>;
  /** The session ended: drop what the bus keeps for it (latest demand, stored frames, consumer). */
  endSession(sessionId: string): Promise<void>;
  /** Called on every status change. */
  onStatus(listener: (status: BusStatus) => void): Unsubscribe;
  /** Idempotent. Publishing afterwards is a no-op. */
  close(): Promise<void>;
}

export interface InMemoryBusOptions {
  /** Frames kept per session for its audio consumer (oldest dropped beyond). Default 36,000 (1 h of 100 ms frames). */
  maxRetainedFrames?: number;
}

interface Durable {
  /** Frames after `acked`, kept for the next consumer. */
  frames: SpeakerFrame[];
  acked: number;
  mark: ResumeMark | null;
  /** Highest seq ever stored. */
  last: number | null;
  consumer: { handler: (frame: SpeakerFrame) => void; delivered: number } | null;
}

type Handler = (message: never) => void;

export class InMemoryBus implements MessageBus {
  private readonly handlers = new Map<string, Set<Handler>>();
  /** Latest value of each `latest` subject (demand). */
  private readonly latest = new Map<string, unknown>();
  private readonly durables = new Map<string, Durable>();
  private readonly statusListeners = new Set<(status: BusStatus) => void>();
  private readonly maxRetainedFrames: number;
  private closed = false;

  constructor(options: InMemoryBusOptions = {}) {
    this.maxRetainedFrames = options.maxRetainedFrames ?? 36_000;
  }

  get status(): BusStatus {
    return this.closed ? 'closed' : 'connected';
  }

  publish<K extends SubjectKind>(subject: Subject<K>, message: MessageOf<K>): void {
    if (this.closed) return;
    if (subject.wildcard) throw new RangeError(`cannot publish on a wildcard subject: ${subject.name}`);
    if (SUBJECT_RETENTION[subject.kind] === 'latest') this.latest.set(subject.name, message);
    if (subject.kind === 'audio') this.store(subject.sessionId, message as SpeakerFrame);
    const set = this.handlers.get(subject.name);
    if (set) for (const h of [...set]) (h as (m: MessageOf<K>) => void)(message);
    // Wildcard subscribers (`session.<id>.demand.*`) get every gateway's value.
    const dot = subject.name.lastIndexOf('.');
    const pattern = `${subject.name.slice(0, dot)}.*`;
    const wild = this.handlers.get(pattern);
    if (wild && subjectMatches(pattern, subject.name))
      for (const h of [...wild]) (h as (m: MessageOf<K>) => void)(message);
  }

  async publishAcked<K extends SubjectKind>(subject: Subject<K>, message: MessageOf<K>): Promise<void> {
    this.publish(subject, message);
  }

  subscribe<K extends SubjectKind>(
    subject: Subject<K>,
    handler: (message: MessageOf<K>) => void,
  ): Unsubscribe {
    if (this.closed) return () => {};
    let set = this.handlers.get(subject.name);
    if (!set) {
      set = new Set();
      this.handlers.set(subject.name, set);
    }
    const h = handler as Handler;
    set.add(h);
    if (subject.wildcard) {
      for (const [name, value] of [...this.latest])
        if (subjectMatches(subject.name, name)) handler(value as MessageOf<K>);
    } else if (this.latest.has(subject.name)) handler(this.latest.get(subject.name) as MessageOf<K>);
    return () => {
      set.delete(h);
      if (set.size === 0 && this.handlers.get(subject.name) === set) this.handlers.delete(subject.name);
    };
  }

  async consumeAudio(sessionId: string, handler: (frame: SpeakerFrame) => void): Promise<AudioConsumer> {
    subjects.audio(sessionId); // validates the id
    const d = this.durable(sessionId);
    const consumer = { handler, delivered: d.acked };
    d.consumer = consumer;
    const resumedAfter = d.acked;
    const resumeMark = d.mark;
    queueMicrotask(() => {
      for (const frame of [...d.frames]) this.deliverFrame(d, frame);
    });
    return {
      resumedAfter,
      resumeMark,
      ack: async (seq, mark) => {
        if (d.consumer !== consumer) return;
        if (mark) d.mark = mark;
        d.acked = Math.max(d.acked, seq);
        let drop = 0;
        while (drop < d.frames.length && d.frames[drop]!.seq <= d.acked) drop++;
        d.frames.splice(0, drop);
      },
      close: async () => {
        if (d.consumer === consumer) d.consumer = null;
      },
    };
  }

  async lastAudioSeq(sessionId: string): Promise<number | null> {
    return this.durables.get(sessionId)?.last ?? null;
  }

  async flush(): Promise<void> {}

  async endSession(sessionId: string): Promise<void> {
    this.durables.delete(sessionId);
    const pattern = subjects.allDemand(sessionId).name;
    for (const name of [...this.latest.keys()]) if (subjectMatches(pattern, name)) this.latest.delete(name);
  }

  onStatus(listener: (status: BusStatus) => void): Unsubscribe {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    this.latest.clear();
    this.durables.clear();
    for (const l of [...this.statusListeners]) l('closed');
    this.statusListeners.clear();
  }

  private store(sessionId: string, frame: SpeakerFrame): void {
    // Frames are kept from the first one on, like a stream: a worker may subscribe later.
    const d = this.durable(sessionId);
    if (frame.seq <= d.acked || (d.last !== null && frame.seq <= d.last)) return;
    d.last = frame.seq;
    d.frames.push(frame);
    if (d.frames.length > this.maxRetainedFrames) d.frames.shift();
    this.deliverFrame(d, frame);
  }

  private durable(sessionId: string): Durable {
    let d = this.durables.get(sessionId);
    if (!d) {
      d = { frames: [], acked: 0, mark: null, last: null, consumer: null };
      this.durables.set(sessionId, d);
    }
    return d;
  }

  private deliverFrame(d: Durable, frame: SpeakerFrame): void {
    const c = d.consumer;
    if (!c || frame.seq <= c.delivered) return;
    c.delivered = frame.seq;
    c.handler(frame);
  }
}
