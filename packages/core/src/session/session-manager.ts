/**
 * Creates sessions and keeps the LiveSession of each one this node is serving. Sessions live in
 * the store; a LiveSession is loaded on demand (after a restart, the first speaker or listener to
 * connect brings it back).
 */
import {
  BabelcastError,
  CloseCode,
  ErrorCode,
  type SessionInfo,
  type SessionState,
} from '@babelcast/protocol';
import type { Logger } from 'pino';
import type { EngineSet } from '../engines/index.ts';
import type { MessageBus } from '../hub/bus.ts';
import type { HubObserver } from '../hub/session-hub.ts';
import type { PipelineObserver } from '../pipeline/types.ts';
import type { SessionRecord, Store } from '../store/store.ts';
import { type ServedPairs, servedPairs, targetsFor } from './capabilities.ts';
import { LiveSession, type LiveSessionOptions } from './live-session.ts';
import { generateSessionId } from './session-id.ts';

export interface SessionManagerOptions {
  engines: EngineSet;
  bus: MessageBus;
  store: Store;
  logger: Logger;
  observer: PipelineObserver & HubObserver;
  /** Builds the public join link, e.g. `https://host/join/<id>`. */
  joinUrl: (id: string) => string;
  pipeline?: LiveSessionOptions['pipeline'];
  hub?: LiveSessionOptions['hub'];
  logTranscripts?: boolean;
  now?: () => number;
}

export class SessionManager {
  private readonly live = new Map<string, LiveSession>();
  private readonly loading = new Map<string, Promise<LiveSession | null>>();
  readonly served: ServedPairs;
  private readonly now: () => number;

  constructor(private readonly options: SessionManagerOptions) {
    this.served = servedPairs(options.engines);
    this.now = options.now ?? Date.now;
  }

  async create(ownerId: string, sourceLanguage: string, title: string | null): Promise<LiveSession> {
    if (!this.served.sources.includes(sourceLanguage)) {
      throw new BabelcastError(
        ErrorCode.UNSUPPORTED_LANGUAGE,
        `source language "${sourceLanguage}" is not recognised by the configured speech recogniser (have: ${this.served.sources.join(', ')})`,
      );
    }
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
      };
      await this.options.store.createSession(record);
      this.options.logger.info({ session: id, sourceLanguage }, 'session created');
      return this.attach(record, { seq: 0, segmentId: 0 });
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
        const record = await this.options.store.getSession(id);
        if (!record) return null;
        if (record.state === 'ended') return null;
        return this.live.get(id) ?? this.attach(record, await this.options.store.lastNumbers(id));
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

  async transition(id: string, to: SessionState): Promise<SessionRecord> {
    const s = await this.require(id);
    await s.transition(to);
    if (to === 'ended') {
      this.live.delete(id);
      this.options.observer.sessionEnded?.(id);
    }
    return s.snapshot;
  }

  async info(record: SessionRecord): Promise<SessionInfo> {
    const session = this.live.get(record.id);
    return {
      id: record.id,
      title: record.title,
      sourceLanguage: record.sourceLanguage,
      state: session?.state ?? record.state,
      createdAt: new Date(record.createdAt).toISOString(),
      joinUrl: this.options.joinUrl(record.id),
      targetLanguages: targetsFor(this.served, record.sourceLanguage),
      listeners: session?.hub.counts() ?? {},
    };
  }

  liveSessions(): LiveSession[] {
    return [...this.live.values()];
  }

  /**
   * Node shutdown: flush every pipeline so the last sentences reach listeners and the store,
   * close sockets with GOING_AWAY, and leave live sessions paused so the speaker can resume
   * after a restart with the same join link.
   */
  async shutdown(): Promise<void> {
    await Promise.all(
      [...this.live.values()].map(async (s) => {
        try {
          if (s.state === 'live') await s.transition('paused');
          await s.suspend();
        } catch (err) {
          this.options.logger.error({ err, session: s.id }, 'session did not shut down cleanly');
        }
        s.hub.close(CloseCode.GOING_AWAY, 'server shutting down');
      }),
    );
    this.live.clear();
  }

  private attach(record: SessionRecord, numbers: { seq: number; segmentId: number }): LiveSession {
    const { options } = this;
    const session = new LiveSession({
      record,
      engines: options.engines,
      bus: options.bus,
      store: options.store,
      logger: options.logger,
      observer: options.observer,
      pipeline: options.pipeline,
      hub: options.hub,
      logTranscripts: options.logTranscripts,
      firstSeq: numbers.seq,
      firstSegmentId: numbers.segmentId,
      now: this.now,
    });
    this.live.set(record.id, session);
    return session;
  }
}
