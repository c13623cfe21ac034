/**
 * Creates sessions and keeps the LiveSession of each one this node is serving. Sessions live in
 * the store; a LiveSession is loaded on demand (after a restart, the first speaker or listener to
 * connect brings it back, with the recent captions from the store as its replay history).
 *
 * It also owns the node-wide rules: which target languages a session offers, admission control
 * (see capacity.ts), and idle sessions: one with no speaker connected for `idlePauseMs` is paused
 * and its pipeline released; after `idleEndMs` without a speaker it is ended.
 */
import {
  BabelcastError,
  type CaptionEvent,
  CloseCode,
  ErrorCode,
  type PublicSessionInfo,
  type SessionInfo,
  type SessionState,
  type TranscriptSegment,
} from '@babelcast/protocol';
import type { Logger } from 'pino';
import type { EngineSet } from '../engines/index.ts';
import { within } from '../async/within.ts';
import type { MessageBus } from '../bus/bus.ts';
import { subjects } from '../bus/subjects.ts';
import type { SessionLeases } from '../cluster/leases.ts';
import type { HubObserver } from '../hub/session-hub.ts';
import type { PipelineObserver } from '../pipeline/types.ts';
import { offeredVoices, voiceTrackId } from '../pipeline/voices.ts';
import type { PauseReason, SessionRecord, Store } from '../store/store.ts';
import type { CapacityPlanner, CapacitySnapshot, SessionLoad } from './capacity.ts';
import { type ServedPairs, servedPairs, targetsFor } from './capabilities.ts';
import { LiveSession, type LiveSessionOptions } from './live-session.ts';
import { SessionRuntime, type SessionRuntimeOptions } from './session-runtime.ts';
import { generateSessionId } from './session-id.ts';

export interface SessionRegistryOptions {
  engines: EngineSet;
  bus: MessageBus;
  store: Store;
  logger: Logger;
  observer: PipelineObserver &
    HubObserver & {
      /** A session was paused for want of a speaker: its per-session series can be dropped. */
      sessionIdle?(sessionId: string): void;
    };
  /** Builds the public join link, e.g. `https://host/join/<id>`. */
  joinUrl: (id: string) => string;
  /**
   * Where pipelines run. `local` (role all): this node runs a SessionRuntime beside each session.
   * `workers` (role gateway): workers elsewhere claim sessions with leases; `leases` says who
   * holds one.
   */
  pipelines: { kind: 'local' } | { kind: 'workers'; leases: Pick<SessionLeases, 'holder'> };
  /** This gateway's id, under which its listeners' demand goes out. */
  gatewayId: string;
  pipeline: SessionRuntimeOptions['pipeline'];
  hub: LiveSessionOptions['hub'];
  logTranscripts: boolean;
  /** Target languages offered when the speaker does not choose (filtered to what is served). */
  defaultTargetLanguages?: string[];
  /** Offered target languages per session, not counting the source language. */
  maxLanguagesPerSession: number;
  /** Admission control; without it only the language limit applies. */
  capacity?: CapacityPlanner;
  /** No speaker for this long: paused (pipeline released). Unset: never. */
  idlePauseMs?: number;
  /** No speaker for this long: ended. Unset: never. */
  idleEndMs?: number;
  now?: () => number;
}

/** A stored transcript segment as the caption event it was when it went out. */
export function segmentToCaption(segment: TranscriptSegment): CaptionEvent {
  return {
    type: 'caption',
    kind: segment.kind === 'source' ? 'final' : 'translation',
    seq: segment.seq,
    segmentId: segment.segmentId,
    lang: segment.lang,
    text: segment.text,
    mediaStartMs: segment.mediaStartMs,
    mediaEndMs: segment.mediaEndMs,
    emittedAt: segment.createdAt,
  };
}

/** How long a gateway waits for the worker's `ended` (its last output) when a session ends. */
const END_WAIT_MS = 15_000;

export class SessionRegistry {
  private readonly live = new Map<string, LiveSession>();
  /** Role all: the pipeline side of each live session, in this process. */
  private readonly runtimes = new Map<string, SessionRuntime>();
  private readonly loading = new Map<string, Promise<LiveSession | null>>();
  readonly served: ServedPairs;
  private readonly now: () => number;
  /** At most this many target languages per session (besides the source); pages show it. */
  readonly maxLanguages: number;
  private idleTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private lastStoreSweep = 0;

  constructor(private readonly options: SessionRegistryOptions) {
    this.served = servedPairs(options.engines);
    this.now = options.now ?? Date.now;
    this.maxLanguages = options.maxLanguagesPerSession;
    const { idlePauseMs, idleEndMs } = options;
    if (idlePauseMs !== undefined || idleEndMs !== undefined) {
      const shortest = Math.min(
        idlePauseMs ?? Number.POSITIVE_INFINITY,
        idleEndMs ?? Number.POSITIVE_INFINITY,
      );
      const every = Math.max(50, Math.min(30_000, Math.floor(shortest / 4)));
      this.idleTimer = setInterval(() => void this.sweepIdle(), every);
      this.idleTimer.unref();
    }
  }

  /**
   * What a session offers: every target in `requested` must be served for the source (else
   * UNSUPPORTED_PAIR) and there may be at most `maxLanguagesPerSession` besides the source (else
   * VALIDATION). Without a request: the configured default, else everything served, cut to the
   * limit. The source language (its own captions, no translation) is always offered.
   */
  offerFor(sourceLanguage: string, requested?: readonly string[]): string[] {
    const served = targetsFor(this.served, sourceLanguage);
    if (requested) {
      const unserved = requested.filter((l) => !served.includes(l));
      if (unserved.length)
        throw new BabelcastError(
          ErrorCode.UNSUPPORTED_PAIR,
          `cannot translate ${sourceLanguage}→${unserved.join(', ')} with the configured engines (have: ${served.join(', ')})`,
        );
      const targets = [...new Set(requested)].filter((l) => l !== sourceLanguage);
      if (targets.length > this.maxLanguages)
        throw new BabelcastError(
          ErrorCode.VALIDATION,
          `targetLanguages: at most ${this.maxLanguages} target languages per session (got ${targets.length})`,
        );
      return [sourceLanguage, ...targets];
    }
    const preferred = this.options.defaultTargetLanguages?.filter((l) => served.includes(l)) ?? served;
    const targets = preferred.filter((l) => l !== sourceLanguage).slice(0, this.maxLanguages);
    return [sourceLanguage, ...targets];
  }

  /** The languages a session offers its listeners. */
  offered(record: SessionRecord): string[] {
    if (!record.targetLanguages) return this.offerFor(record.sourceLanguage);
    const served = targetsFor(this.served, record.sourceLanguage);
    // Engines may have changed since the session was made: never offer what cannot be served.
    return record.targetLanguages.filter((l) => served.includes(l));
  }

  async create(
    ownerId: string,
    sourceLanguage: string,
    title: string | null,
    targetLanguages?: readonly string[],
  ): Promise<LiveSession> {
    if (!this.served.sources.includes(sourceLanguage)) {
      throw new BabelcastError(
        ErrorCode.UNSUPPORTED_LANGUAGE,
        `source language "${sourceLanguage}" is not recognised by the configured speech recogniser (have: ${this.served.sources.join(', ')})`,
      );
    }
    const offered = this.offerFor(sourceLanguage, targetLanguages);
    const capacity = this.capacity();
    if (capacity && capacity.sessions >= capacity.maxSessions)
      throw new BabelcastError(
        ErrorCode.OVER_CAPACITY,
        `this server holds ${capacity.sessions} sessions, its limit; end one or try again later`,
      );
    for (let attempt = 0; attempt < 20; attempt++) {
      const id = generateSessionId();
      if (this.live.has(id) || (await this.options.store.getSession(id))) continue;
      const at = this.now();
      const record: SessionRecord = {
        id,
        title,
        sourceLanguage,
        state: 'created',
        ownerId,
        createdAt: at,
        updatedAt: at,
        endedAt: null,
        targetLanguages: offered,
        pauseReason: null,
        lastAudioSeq: null,
      };
      await this.options.store.createSession(record);
      this.options.logger.info({ session: id, sourceLanguage }, 'session created');
      return await this.attach(record, { seq: 0, segmentId: 0 }, []);
    }
    throw new BabelcastError(ErrorCode.INTERNAL, 'could not find a free session id');
  }

  /** The live session, loading it from the store if needed; null if it does not exist. */
  async get(id: string): Promise<LiveSession | null> {
    const existing = this.live.get(id);
    if (existing) return existing;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = (async () => {
        const { store } = this.options;
        const record = await store.getSession(id);
        if (!record) return null;
        if (record.state === 'ended') return null;
        const numbers = await store.lastNumbers(id);
        // Replay history survives a restart: the newest stored captions, as they went out.
        const history = await store.listSegments(id, { last: this.options.hub.historySize });
        return this.live.get(id) ?? (await this.attach(record, numbers, history.map(segmentToCaption)));
      })().finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  async require(id: string): Promise<LiveSession> {
    const s = await this.get(id);
    if (s) return s;
    const record = await this.options.store.getSession(id);
    if (record?.state === 'ended')
      throw new BabelcastError(ErrorCode.SESSION_ENDED, `session ${id} has ended`);
    throw new BabelcastError(ErrorCode.SESSION_NOT_FOUND, `no session with id "${id}"`);
  }

  /** `reason`: why a pause happens (default: the speaker or an operator asked). */
  async transition(id: string, to: SessionState, reason?: PauseReason): Promise<SessionRecord> {
    const s = await this.require(id);
    if (to === 'live' && s.state !== 'live') this.admitLive();
    await s.transition(to, reason);
    if (to === 'ended') {
      this.live.delete(id);
      this.runtimes.delete(id);
      this.options.observer.sessionEnded?.(id);
    }
    return s.snapshot;
  }

  /** The pipeline side of a session in this process (role all), if any. */
  runtimeOf(id: string): SessionRuntime | null {
    return this.runtimes.get(id) ?? null;
  }

  /**
   * The session's speaker has connected: a new session goes live, and so does one the server
   * paused (node restart, or no speaker for a while). One the speaker paused stays paused.
   * Throws OVER_CAPACITY when it cannot go live.
   */
  async speakerConnected(s: LiveSession): Promise<void> {
    // The speaker may have been on another gateway until now: resume after what the bus holds.
    if (this.options.pipelines.kind === 'workers') await s.syncAudioPosition();
    const resume = s.state === 'created' || s.pauseReason === 'shutdown' || s.pauseReason === 'idle';
    if (!resume) return;
    if (s.pauseReason)
      this.options.logger.info({ session: s.id, was: s.pauseReason }, 'speaker back: resuming');
    await this.transition(s.id, 'live');
  }

  /**
   * May a listener of `s` have `language`? Throws LANGUAGE_NOT_OFFERED when the session does not
   * offer it, OVER_CAPACITY when it is not produced yet and the node has no room for it.
   */
  admitLanguage(s: LiveSession, language: string): void {
    const offered = this.offered(s.snapshot);
    if (!offered.includes(language))
      throw new BabelcastError(
        ErrorCode.LANGUAGE_NOT_OFFERED,
        `this session does not offer "${language}" (it offers: ${offered.join(', ')})`,
      );
    if (language === s.snapshot.sourceLanguage || s.hub.demandedLanguages.includes(language)) return;
    const capacity = this.capacity();
    if (capacity && !capacity.canAddLanguage)
      throw new BabelcastError(
        ErrorCode.OVER_CAPACITY,
        `this server has no room for another language now (headroom ${capacity.headroomCores} cores); try again later`,
      );
  }

  /**
   * The voices a listener of `language` may choose, the default first ([] for none to choose from,
   * and for the session's own language, which listeners hear from the speaker).
   */
  voicesFor(s: LiveSession, language: string): string[] {
    if (language === s.snapshot.sourceLanguage) return [];
    return offeredVoices(this.options.engines.tts, language);
  }

  /**
   * The voice track a listener of `language` asking for `voice` hears: DEFAULT_VOICE_ID for none or
   * the default one, else the voice. Throws UNSUPPORTED_VOICE for a voice the language does not
   * offer (only those ever cost a synthesis: see the pipeline's demand).
   */
  admitVoice(s: LiveSession, language: string, voice: string | undefined): string {
    const offered = this.voicesFor(s, language);
    const track = voiceTrackId(offered, voice);
    if (track === null)
      throw new BabelcastError(
        ErrorCode.UNSUPPORTED_VOICE,
        offered.length > 0
          ? `"${language}" has no voice "${voice}" (it offers: ${offered.join(', ')})`
          : `"${language}" offers no choice of voice`,
      );
    return track;
  }

  /** Capacity and headroom of this node, or null without admission control. */
  capacity(): CapacitySnapshot | null {
    const planner = this.options.capacity;
    if (!planner) return null;
    const loads: SessionLoad[] = [...this.live.values()].map((s) => ({
      live: s.state === 'live',
      languages: s.hub.demandedLanguages.filter((l) => l !== s.snapshot.sourceLanguage).length,
    }));
    return planner.snapshot(loads);
  }

  private admitLive(): void {
    const capacity = this.capacity();
    if (capacity && !capacity.canStartSession)
      throw new BabelcastError(
        ErrorCode.OVER_CAPACITY,
        `this server cannot take another live session now (${capacity.liveSessions}/${capacity.maxLiveSessions} live, headroom ${capacity.headroomCores} cores); try again later`,
      );
  }

  /** Everything, for the owner and operators: the public view plus creation time and listener counts. */
  async info(record: SessionRecord): Promise<SessionInfo> {
    return {
      ...this.publicInfo(record),
      createdAt: new Date(record.createdAt).toISOString(),
      listeners: this.live.get(record.id)?.hub.counts() ?? {},
    };
  }

  /** What anybody with the join link may know (see PublicSessionInfo). */
  publicInfo(record: SessionRecord): PublicSessionInfo {
    const session = this.live.get(record.id);
    return {
      id: record.id,
      title: record.title,
      sourceLanguage: record.sourceLanguage,
      state: session?.state ?? record.state,
      joinUrl: this.options.joinUrl(record.id),
      targetLanguages: this.offered(record),
    };
  }

  liveSessions(): LiveSession[] {
    return [...this.live.values()];
  }

  /**
   * Idle sessions: no speaker for `idlePauseMs` → paused (reason `idle`: the speaker's return
   * resumes it) and pipeline released; for `idleEndMs` → ended. Created or paused sessions in the
   * store that this node has not loaded are ended once they were last touched `idleEndMs` ago.
   * Runs on a timer; exposed for tests.
   */
  sweepIdle(): Promise<void> {
    this.sweeping ??= this.sweep().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private async sweep(): Promise<void> {
    const { idlePauseMs, idleEndMs, logger, observer } = this.options;
    const now = this.now();
    for (const s of [...this.live.values()]) {
      const since = s.hub.noSpeakerSince;
      if (since === null) continue;
      try {
        if (idleEndMs !== undefined && now - since >= idleEndMs) {
          logger.info({ session: s.id, idleMs: now - since }, 'no speaker for too long: ending the session');
          await this.transition(s.id, 'ended');
          continue;
        }
        if (idlePauseMs !== undefined && now - since >= idlePauseMs) {
          const runtime = this.runtimes.get(s.id);
          const held = runtime?.hasPipeline ?? s.state === 'live';
          if (s.state === 'live') {
            logger.info({ session: s.id, idleMs: now - since }, 'no speaker: pausing the session');
            await s.transition('paused', 'idle');
          }
          // Paused by the speaker earlier: the pipeline is released all the same (role all; a
          // worker releases what it holds by itself).
          if (runtime?.hasPipeline) await runtime.suspend();
          if (held) observer.sessionIdle?.(s.id);
        }
      } catch (err) {
        logger.error({ err, session: s.id }, 'idle session sweep failed');
      }
    }
    if (idleEndMs === undefined || now - this.lastStoreSweep < Math.min(idleEndMs, 60_000)) return;
    this.lastStoreSweep = now;
    const { store } = this.options;
    // Not `live`: with a store shared by several nodes, a session live elsewhere is not stale here
    // (its updatedAt only moves on state changes). One left `live` by a crash is swept once loaded.
    for (const state of ['created', 'paused'] as const) {
      for (const record of await store.listSessions({ state, limit: 1000 })) {
        if (this.live.has(record.id) || this.loading.has(record.id)) continue;
        if (now - record.updatedAt < idleEndMs) continue;
        logger.info({ session: record.id }, 'session unused since before the idle limit: ending it');
        await store.updateSessionState(record.id, 'ended', now, { pauseReason: null });
      }
    }
  }

  /**
   * Node shutdown: flush every pipeline so the last sentences reach listeners and the store,
   * close sockets with GOING_AWAY, and leave live sessions paused (reason `shutdown`) so they go
   * live again by themselves when their speaker reconnects after a restart.
   */
  async shutdown(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = null;
    await this.sweeping;
    await Promise.all(
      [...this.live.values()].map(async (s) => {
        try {
          if (s.state === 'live') await s.transition('paused', 'shutdown');
          await this.runtimes.get(s.id)?.suspend();
          await this.runtimes.get(s.id)?.close();
          await s.saveAudioPosition();
        } catch (err) {
          this.options.logger.error({ err, session: s.id }, 'session did not shut down cleanly');
        }
        s.hub.close(CloseCode.GOING_AWAY, 'server shutting down');
      }),
    );
    this.live.clear();
    this.runtimes.clear();
  }

  private async attach(
    record: SessionRecord,
    numbers: { seq: number; segmentId: number },
    history: CaptionEvent[],
  ): Promise<LiveSession> {
    const { options } = this;
    const local = options.pipelines.kind === 'local';
    let runtime: SessionRuntime | null = null;
    if (local) {
      // History seeded from the store may hold seqs above the stored numbers: never reuse one.
      const seq = Math.max(numbers.seq, ...history.map((h) => h.seq));
      runtime = await SessionRuntime.start({
        sessionId: record.id,
        sourceLanguage: record.sourceLanguage,
        engines: options.engines,
        bus: options.bus,
        store: options.store,
        logger: options.logger,
        observer: options.observer,
        pipeline: options.pipeline,
        logTranscripts: options.logTranscripts,
        firstSeq: seq,
        firstSegmentId: numbers.segmentId,
        now: this.now,
      });
    }
    const session = new LiveSession({
      record,
      bus: options.bus,
      store: options.store,
      logger: options.logger,
      observer: options.observer,
      gatewayId: options.gatewayId,
      hub: options.hub,
      lastAudioSeq: local ? null : await options.bus.lastAudioSeq(record.id).catch(() => null),
      settle: (to) => (runtime ? runtime.settled() : this.settleRemote(record.id, to)),
      now: this.now,
    });
    if (history.length) session.hub.seedHistory(history);
    this.live.set(record.id, session);
    if (runtime) this.runtimes.set(record.id, runtime);
    return session;
  }

  /**
   * Role gateway: when a session ends, the worker holding it sends its last output and then
   * `ended` (which closes the sockets). Nobody holds it: this gateway says `ended` itself.
   */
  private async settleRemote(id: string, to: SessionState): Promise<void> {
    if (to !== 'ended' || this.options.pipelines.kind !== 'workers') return;
    const { bus, logger } = this.options;
    const holder = await this.options.pipelines.leases.holder(id).catch(() => null);
    if (holder) {
      let off = () => {};
      const ended = await within(
        new Promise<void>((resolve) => {
          off = bus.subscribe(subjects.state(id), (e) => e.type === 'ended' && resolve());
        }),
        END_WAIT_MS,
      );
      off();
      if (ended) return;
      logger.warn({ session: id, worker: holder }, 'worker did not finish the session in time');
    }
    bus.publish(subjects.state(id), { type: 'ended' });
    await bus.endSession(id).catch((err) => logger.warn({ err, session: id }, 'bus kept session data'));
  }
}
