/**
 * The message bus on NATS, for gateways and workers on different machines:
 *
 * - audio (`<prefix>.session.<id>.audio`): stored in the JetStream stream `<prefix>_audio`
 *   (file storage, bounded by age and bytes, oldest dropped first, duplicate frames dropped by
 *   `Nats-Msg-Id` = `<id>:<seq>`). `consumeAudio` replays a session's frames after the last one
 *   acknowledged as processed; that position lives in the KV bucket `<prefix>_sessions`
 *   (`session.<id>.audio-acked`), so a worker that takes over starts where its predecessor stopped.
 * - output and state (`….out`, `….state`): core NATS subjects, low latency, never stored; every
 *   gateway that holds sockets of the session subscribes.
 * - demand (`….demand.<gateway>`): the KV bucket `<prefix>_sessions`, one key per gateway, so a
 *   worker that starts (or takes over) reads the languages listeners want now on every gateway.
 *
 * One connection per bus; it reconnects with exponential backoff (forever) and reports its
 * status. An unreachable server at start is an error naming its host:port.
 */
import {
  type AudioConsumer,
  type BusStatus,
  type MessageBus,
  type MessageOf,
  type ResumeMark,
  SUBJECT_RETENTION,
  type SpeakerFrame,
  type Subject,
  type SubjectKind,
  subjects,
  type Unsubscribe,
} from '@babelcast/core';
import {
  type ConsumerMessages,
  connect,
  DebugEvents,
  DiscardPolicy,
  Events,
  headers,
  type JetStreamClient,
  type JetStreamManager,
  type KV,
  type KvEntry,
  type NatsConnection,
  nanos,
  type QueuedIterator,
  RetentionPolicy,
  type StreamConfig,
  StorageType,
} from 'nats';
import { type AudioPosition, AudioPositions } from './audio-positions.ts';
import { decodeMessage, encodeMessage } from './codec.ts';
import { NatsLeases } from './nats-leases.ts';

/** What the bus logs (a pino logger fits). */
export interface BusLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface NatsBusOptions {
  /** `nats://host:4222`, or several servers of one cluster separated by commas. */
  url: string;
  /** Prefix of subjects, the stream and the bucket (letters, digits, `_`, `-`). Default `babelcast`. */
  prefix?: string;
  audio?: {
    /** Frames older than this are dropped from the stream. Default 1 h. */
    maxAgeMs?: number;
    /** The stream never holds more than this (oldest frames dropped first). Default 2 GiB. */
    maxBytes?: number;
  };
  /** JetStream replicas of the stream and the bucket: 1 on one server, 3 on a 3-node cluster. */
  replicas?: number;
  /** Milliseconds to wait for the first connection. Default 5000. */
  connectTimeoutMs?: number;
  /** Reconnect backoff: doubles from `initialMs` up to `maxMs`, plus up to `initialMs` of jitter. */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** The connection's name on the server's monitoring pages. */
  name?: string;
  logger?: BusLogger;
}

/** NATS could not be reached, or has no JetStream. The message names host:port. */
export class BusUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BusUnavailableError';
  }
}

const silent: BusLogger = { info() {}, warn() {}, error() {} };
const SAFE_PREFIX = /^[A-Za-z0-9_-]{1,32}$/;

/** `nats://a:4222,b` → `a:4222, b:4222`, for error messages. */
export function hostPorts(url: string): string[] {
  return url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      try {
        const u = new URL(s.includes('://') ? s : `nats://${s}`);
        return `${u.hostname}:${u.port || '4222'}`;
      } catch {
        return s;
      }
    });
}

export class NatsBus implements MessageBus {
  private state: BusStatus = 'connected';
  private readonly statusListeners = new Set<(status: BusStatus) => void>();
  /** Subscriptions still being set up (KV watchers): flush() waits for them. */
  private readonly pending = new Set<Promise<unknown>>();
  /** The live audio consumer of each session on this bus. */
  private readonly audioConsumers = new Map<string, { close(): Promise<void> }>();
  /** Watches and audio consumers made anew after a reconnect. */
  private readonly restarters = new Set<() => void>();
  /** Per `latest` key: how many values this bus published, and the newest one not stored yet. */
  private readonly latestIssued = new Map<string, number>();
  private readonly unsent = new Map<string, { data: Uint8Array; n: number }>();
  private retryTimer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly kv: KV,
    private readonly prefix: string,
    private readonly streamName: string,
    private readonly logger: BusLogger,
    private readonly backoff: { reset(): void },
    private readonly replicas: number,
  ) {
    void this.watchStatus();
    void nc.closed().then(() => this.setStatus('closed'));
  }

  /** Connects, and makes the audio stream and the sessions bucket if they do not exist yet. */
  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    const prefix = options.prefix ?? 'babelcast';
    if (!SAFE_PREFIX.test(prefix)) throw new RangeError(`NATS prefix must match ${SAFE_PREFIX}: ${prefix}`);
    const logger = options.logger ?? silent;
    const servers = options.url
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const where = hostPorts(options.url).join(', ');
    const initialMs = options.reconnect?.initialMs ?? 250;
    const maxMs = options.reconnect?.maxMs ?? 5000;
    let attempt = 0;
    const backoff = {
      next: () => Math.min(maxMs, initialMs * 2 ** attempt++) + Math.random() * initialMs,
      reset: () => {
        attempt = 0;
      },
    };
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers,
        name: options.name ?? 'babelcast',
        timeout: options.connectTimeoutMs ?? 5000,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectDelayHandler: backoff.next,
        pingInterval: 10_000,
        maxPingOut: 3,
      });
    } catch (err) {
      throw new BusUnavailableError(
        `cannot reach NATS at ${where} (${(err as Error).message}); start nats-server with JetStream (-js) there or set BABELCAST_NATS_URL`,
        { cause: err },
      );
    }
    try {
      const jsm = await nc.jetstreamManager({ timeout: options.connectTimeoutMs ?? 5000 });
      const js = jsm.jetstream();
      const maxAgeMs = options.audio?.maxAgeMs ?? 3_600_000;
      const replicas = options.replicas ?? 1;
      const streamName = `${prefix}_audio`;
      await ensureStream(jsm, {
        name: streamName,
        subjects: [`${prefix}.session.*.audio`],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        max_age: nanos(maxAgeMs),
        max_bytes: options.audio?.maxBytes ?? 2 * 1024 ** 3,
        // A frame resent within this window (a gateway retrying after a lost ack) is stored once.
        duplicate_window: nanos(Math.min(120_000, maxAgeMs)),
        num_replicas: replicas,
      });
      // Positions outlive the frames they point into: a position older than any stored frame
      // means "replay everything still stored", which is then exactly what was not processed.
      const kv = await js.views.kv(`${prefix}_sessions`, {
        history: 1,
        ttl: Math.max(48 * 3_600_000, 2 * maxAgeMs),
        replicas,
      });
      logger.info({ nats: where, stream: streamName }, 'message bus connected to NATS');
      return new NatsBus(nc, js, jsm, kv, prefix, streamName, logger, backoff, replicas);
    } catch (err) {
      await nc.close().catch(() => {});
      const message = (err as Error).message;
      throw new BusUnavailableError(
        /no responders|503|jetstream not enabled/i.test(message)
          ? `NATS at ${where} has no JetStream; start nats-server with -js`
          : `NATS at ${where}: cannot set up the audio stream and sessions bucket (${message})`,
        { cause: err },
      );
    }
  }

  /**
   * Session leases on this connection (bucket `<prefix>_leases`, entries expire `ttlMs` after
   * their last renewal). One per worker.
   */
  async leases(holderId: string, ttlMs = 3000): Promise<NatsLeases> {
    const kv = await this.js.views.kv(`${this.prefix}_leases`, {
      history: 1,
      ttl: ttlMs,
      replicas: this.replicas,
    });
    return new NatsLeases(holderId, kv, ttlMs, this.logger);
  }

  /** Deletes the stream and buckets of `prefix` (tests clean up with it). */
  static async destroy(url: string, prefix: string): Promise<void> {
    const nc = await connect({ servers: url.split(','), timeout: 5000 });
    try {
      const jsm = await nc.jetstreamManager();
      for (const name of [`${prefix}_audio`, `KV_${prefix}_sessions`, `KV_${prefix}_leases`])
        await jsm.streams.delete(name).catch((err: Error) => {
          if (!/not found/i.test(err.message)) throw err;
        });
    } finally {
      await nc.close();
    }
  }

  get status(): BusStatus {
    return this.state;
  }

  onStatus(listener: (status: BusStatus) => void): Unsubscribe {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private setStatus(status: BusStatus): void {
    if (this.state === status || this.state === 'closed') return;
    this.state = status;
    if (status === 'reconnecting') this.logger.warn({}, 'NATS connection lost; reconnecting');
    if (status === 'connected') this.logger.info({}, 'NATS connection back');
    for (const l of [...this.statusListeners]) l(status);
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === Events.Disconnect || s.type === DebugEvents.Reconnecting) this.setStatus('reconnecting');
      else if (s.type === Events.Reconnect) {
        this.backoff.reset();
        this.setStatus('connected');
        for (const restart of [...this.restarters]) restart();
        this.retryUnsent();
      } else if (s.type === Events.Error) this.logger.warn({ err: s.data }, 'NATS error');
    }
  }

  private subjectName(subject: Subject): string {
    return `${this.prefix}.${subject.name}`;
  }

  private get usable(): boolean {
    return this.closing === null && !this.nc.isClosed();
  }

  publish<K extends SubjectKind>(subject: Subject<K>, message: MessageOf<K>): void {
    if (!this.usable) return;
    if (subject.wildcard) throw new RangeError(`cannot publish on a wildcard subject: ${subject.name}`);
    try {
      const data = encodeMessage(subject.kind, message);
      switch (SUBJECT_RETENTION[subject.kind]) {
        case 'latest':
          this.putLatest(subject.name, data);
          return;
        case 'stream':
          this.nc.publish(this.subjectName(subject), data, {
            headers: msgId(subject, message as SpeakerFrame),
          });
          return;
        default:
          this.nc.publish(this.subjectName(subject), data);
      }
    } catch (err) {
      this.failed(err, subject);
    }
  }

  async publishAcked<K extends SubjectKind>(subject: Subject<K>, message: MessageOf<K>): Promise<void> {
    if (!this.usable) throw new BusUnavailableError('the message bus is closed');
    const data = encodeMessage(subject.kind, message);
    switch (SUBJECT_RETENTION[subject.kind]) {
      case 'latest':
        await this.kv.put(subject.name, data);
        return;
      case 'stream':
        await this.js.publish(this.subjectName(subject), data, {
          msgID: `${subject.sessionId}:${(message as SpeakerFrame).seq}`,
          expect: { streamName: this.streamName },
        });
        return;
      default:
        this.nc.publish(this.subjectName(subject), data);
        await this.nc.flush();
    }
  }

  subscribe<K extends SubjectKind>(
    subject: Subject<K>,
    handler: (message: MessageOf<K>) => void,
  ): Unsubscribe {
    if (!this.usable) return () => {};
    const deliver = (data: Uint8Array) => {
      let message: MessageOf<K>;
      try {
        message = decodeMessage(subject.kind, data);
      } catch (err) {
        this.logger.warn({ err, subject: subject.name }, 'undecodable bus message dropped');
        return;
      }
      try {
        handler(message);
      } catch (err) {
        this.logger.error({ err, subject: subject.name }, 'bus subscriber failed');
      }
    };
    if (SUBJECT_RETENTION[subject.kind] === 'latest') return this.watch(subject, deliver);
    const sub = this.nc.subscribe(this.subjectName(subject), {
      callback: (err, msg) => {
        if (err) this.logger.warn({ err, subject: subject.name }, 'bus subscription error');
        else deliver(msg.data);
      },
    });
    return () => {
      if (!sub.isClosed()) sub.unsubscribe();
    };
  }

  /**
   * A `latest` subject: a KV watch delivers the current value, then every change. After a
   * reconnect the watch is made anew (its server-side consumer may be gone with the server),
   * skipping revisions already delivered.
   */
  private watch(subject: Subject, deliver: (data: Uint8Array) => void): Unsubscribe {
    let stopped = false;
    let generation = 0;
    let iterator: QueuedIterator<KvEntry> | null = null;
    let lastRevision = 0;
    const start = () => {
      if (stopped || !this.usable) return;
      const gen = ++generation;
      iterator?.stop();
      iterator = null;
      const setup = this.kv
        .watch({ key: subject.name })
        .then((it) => {
          if (stopped || gen !== generation) {
            it.stop();
            return;
          }
          iterator = it;
          void (async () => {
            for await (const entry of it) {
              if (stopped || gen !== generation) break;
              if (entry.revision <= lastRevision) continue;
              lastRevision = entry.revision;
              if (entry.operation === 'PUT') deliver(entry.value);
            }
          })().catch((err) => this.logger.warn({ err, subject: subject.name }, 'bus watch ended'));
        })
        .catch((err) => {
          this.logger.warn({ err, subject: subject.name }, 'bus watch failed; retrying');
          setTimeout(() => gen === generation && start(), 500).unref();
        })
        .finally(() => this.pending.delete(setup));
      this.pending.add(setup);
    };
    const stop = () => {
      stopped = true;
      iterator?.stop();
      this.restarters.delete(start);
    };
    this.restarters.add(start);
    start();
    return stop;
  }

  async consumeAudio(sessionId: string, handler: (frame: SpeakerFrame) => void): Promise<AudioConsumer> {
    if (!this.usable) throw new BusUnavailableError('the message bus is closed');
    const subject = this.subjectName(subjects.audio(sessionId));
    const positionKey = `session.${sessionId}.audio-acked`;
    // One consumer per session on this bus: a new one takes over.
    await this.audioConsumers.get(sessionId)?.close();
    const entry = await this.kv.get(positionKey);
    const from: AudioPosition | null = entry?.operation === 'PUT' ? entry.json<AudioPosition>() : null;
    const positions = new AudioPositions(from);
    let closed = false;
    let generation = 0;
    let messages: ConsumerMessages | null = null;

    // An ordered consumer: ephemeral (nothing left behind if this process dies), in order, and it
    // recreates itself at the right sequence after a gap. No deliver_policy: the client starts at
    // opt_start_seq, 1 meaning everything stored.
    const open = async () => {
      const gen = ++generation;
      const previous = messages;
      messages = null;
      await previous?.close().catch(() => {});
      const consumer = await this.js.consumers.get(this.streamName, {
        filterSubjects: subject,
        opt_start_seq: positions.streamSeq + 1,
      });
      const m = await consumer.consume({
        max_messages: 256,
        callback: (msg) => {
          if (closed || gen !== generation) return;
          positions.streamSeq = msg.seq;
          const frame = this.audioFrame(msg.data, sessionId, msg.seq);
          if (!frame || !positions.deliver(frame.seq, msg.seq)) return;
          try {
            handler(frame);
          } catch (err) {
            this.logger.error({ err, session: sessionId }, 'audio consumer failed');
          }
        },
      });
      if (closed || gen !== generation) await m.close().catch(() => {});
      else messages = m;
    };
    // The consumer lives in the server's memory: after a reconnect it is made again.
    const reopen = () => {
      if (closed) return;
      open().catch((err) => {
        this.logger.warn({ err, session: sessionId }, 'audio consumer not re-made; retrying');
        setTimeout(reopen, 500).unref();
      });
    };
    await open();
    const handle = {
      resumedAfter: from?.seq ?? 0,
      resumeMark: from?.mark ?? null,
      ack: async (seq: number, mark?: ResumeMark) => {
        if (closed) return;
        const position = positions.ack(seq, mark);
        if (position) await this.kv.put(positionKey, JSON.stringify(position));
      },
      close: async () => {
        if (closed) return;
        closed = true;
        this.restarters.delete(reopen);
        if (this.audioConsumers.get(sessionId) === handle) this.audioConsumers.delete(sessionId);
        await messages?.close().catch(() => {});
      },
    };
    this.restarters.add(reopen);
    this.audioConsumers.set(sessionId, handle);
    return handle;
  }

  /** A stored audio frame, or undefined (logged) when it cannot be decoded: it is skipped. */
  private audioFrame(data: Uint8Array, sessionId: string, streamSeq: number): SpeakerFrame | undefined {
    try {
      return decodeMessage('audio', data);
    } catch (err) {
      this.logger.warn({ err, session: sessionId, streamSeq }, 'undecodable audio frame skipped');
      return undefined;
    }
  }

  async lastAudioSeq(sessionId: string): Promise<number | null> {
    if (!this.usable) throw new BusUnavailableError('the message bus is closed');
    try {
      const m = await this.jsm.streams.getMessage(this.streamName, {
        last_by_subj: this.subjectName(subjects.audio(sessionId)),
      });
      return decodeMessage('audio', m.data).seq;
    } catch (err) {
      if (/no message found|not found/i.test((err as Error).message)) return null;
      throw err;
    }
  }

  async flush(): Promise<void> {
    if (!this.usable) return;
    await Promise.all([...this.pending]);
    await this.nc.flush();
  }

  async endSession(sessionId: string): Promise<void> {
    if (!this.usable) return;
    await this.audioConsumers.get(sessionId)?.close();
    const audio = this.subjectName(subjects.audio(sessionId));
    const demandKeys: string[] = [];
    for await (const key of await this.kv.keys(subjects.allDemand(sessionId).name)) demandKeys.push(key);
    for (const key of demandKeys) {
      this.latestIssued.delete(key);
      this.unsent.delete(key);
    }
    await Promise.all([
      ...demandKeys.map((key) => this.kv.purge(key)),
      this.kv.purge(`session.${sessionId}.audio-acked`),
      this.jsm.streams.purge(this.streamName, { filter: audio }),
    ]);
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      this.restarters.clear();
      if (this.retryTimer) clearTimeout(this.retryTimer);
      await Promise.all([...this.audioConsumers.values()].map((c) => c.close()));
      // drain: what was published goes out first, then the connection closes.
      await this.nc.drain().catch(() => this.nc.close());
      this.setStatus('closed');
    })();
    return this.closing;
  }

  /**
   * A latest value is stored in KV. One that could not be (no connection, a JetStream leader
   * election) is stored again later, unless a newer value for the key was published meanwhile.
   */
  private putLatest(key: string, data: Uint8Array): void {
    const n = (this.latestIssued.get(key) ?? 0) + 1;
    this.latestIssued.set(key, n);
    this.kv.put(key, data).then(
      () => {
        const u = this.unsent.get(key);
        if (u && u.n <= n) this.unsent.delete(key);
      },
      (err) => {
        if (!this.usable || this.latestIssued.get(key) !== n) return;
        this.logger.warn({ err, key }, 'latest value not stored yet; will retry');
        this.unsent.set(key, { data, n });
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = null;
          this.retryUnsent();
        }, 1000);
        this.retryTimer.unref?.();
      },
    );
  }

  private retryUnsent(): void {
    if (!this.usable || this.state !== 'connected') return;
    for (const [key, u] of [...this.unsent]) {
      this.unsent.delete(key);
      if (this.latestIssued.get(key) === u.n) this.putLatest(key, u.data);
    }
  }

  private failed(err: unknown, subject: Subject): void {
    this.logger.warn({ err, subject: subject.name }, 'bus publish failed');
  }
}

function msgId(subject: Subject, frame: SpeakerFrame) {
  const h = headers();
  h.set('Nats-Msg-Id', `${subject.sessionId}:${frame.seq}`);
  return h;
}

/** Makes the stream, or brings an existing one to these limits. */
async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }) {
  try {
    const info = await jsm.streams.info(config.name);
    const c = info.config;
    if (
      c.max_age !== config.max_age ||
      c.max_bytes !== config.max_bytes ||
      c.num_replicas !== config.num_replicas ||
      c.duplicate_window !== config.duplicate_window
    )
      await jsm.streams.update(config.name, { ...c, ...config });
  } catch (err) {
    if (!/stream not found/i.test((err as Error).message)) throw err;
    try {
      await jsm.streams.add(config);
    } catch (again) {
      // Another process made it meanwhile.
      if (!/already in use/i.test((again as Error).message)) throw again;
    }
  }
}
