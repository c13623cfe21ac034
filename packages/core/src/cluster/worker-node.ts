/**
 * A worker (role `worker`): it finds live sessions in the store, claims them with leases, and runs
 * a SessionRuntime for each one it holds. Sessions are spread by load: a worker waits a little
 * longer before claiming for each session it already holds, so the least loaded worker usually
 * wins the claim. If a worker dies its leases run out and the next scan of another worker claims
 * the session and resumes it from the audio stream (see SessionRuntime).
 */
import type { Logger } from 'pino';
import type { MessageBus } from '../bus/bus.ts';
import type { EngineSet } from '../engines/index.ts';
import {
  type RuntimeObserver,
  SessionRuntime,
  type SessionRuntimeOptions,
} from '../session/session-runtime.ts';
import type { Store } from '../store/store.ts';
import type { Lease, SessionLeases } from './leases.ts';

export interface WorkerNodeOptions {
  workerId: string;
  engines: EngineSet;
  bus: MessageBus;
  store: Store;
  leases: SessionLeases;
  logger: Logger;
  observer: RuntimeObserver & { sessionsHeldChanged?(count: number): void };
  pipeline: SessionRuntimeOptions['pipeline'];
  logTranscripts: boolean;
  /** At most this many sessions at once (further live sessions are left to other workers). */
  maxSessions: number;
  /** How often the store is scanned for live sessions nobody holds. */
  scanEveryMs?: number;
  /** Extra wait before a claim, per session already held. */
  claimDelayPerSessionMs?: number;
  /** A held session that stays paused this long is given up (its pipeline freed). */
  releasePausedAfterMs?: number;
  now?: () => number;
}

interface Held {
  runtime: SessionRuntime;
  lease: Lease;
  pausedSince: number | null;
}

export class WorkerNode {
  private readonly held = new Map<string, Held>();
  private readonly claiming = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: WorkerNodeOptions) {
    this.now = options.now ?? Date.now;
  }

  get sessions(): string[] {
    return [...this.held.keys()];
  }

  /** The store this worker writes transcripts to (its /readyz checks it). */
  get store(): Store {
    return this.options.store;
  }

  start(): void {
    const every = this.options.scanEveryMs ?? 250;
    this.timer = setInterval(() => void this.scan(), every);
    this.timer.unref?.();
    void this.scan();
  }

  /** One pass: claim live sessions nobody holds, give up sessions that ended or stay paused. Exposed for tests. */
  scan(): Promise<void> {
    this.scanning ??= this.scanOnce()
      .catch((err) => this.options.logger.warn({ err }, 'worker scan failed'))
      .finally(() => {
        this.scanning = null;
      });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    if (this.closed) return;
    const { store } = this.options;
    const live = await store.listSessions({ state: 'live', limit: 1000 });
    const liveIds = new Set(live.map((r) => r.id));
    // One claim per pass, so that workers scanning side by side share the sessions out instead of
    // the first one taking them all (see claim(): the busier worker also waits longer).
    const unheld = live.filter((r) => !this.held.has(r.id) && !this.claiming.has(r.id));
    const next = unheld[Math.floor(Math.random() * unheld.length)];
    if (next && this.held.size + this.claiming.size < this.options.maxSessions) {
      this.claiming.add(next.id);
      void this.claim(next.id, next.sourceLanguage).finally(() => this.claiming.delete(next.id));
    }
    for (const [id, h] of [...this.held]) {
      if (liveIds.has(id)) {
        h.pausedSince = null;
        continue;
      }
      const record = await store.getSession(id);
      if (!record || record.state === 'ended') {
        // The gateway's `ended` event was missed (the runtime finishes on it): finish here.
        if (record?.state === 'ended') await this.give(id, 'session ended');
        continue;
      }
      h.pausedSince ??= this.now();
      if (this.now() - h.pausedSince >= (this.options.releasePausedAfterMs ?? 60_000))
        await this.give(id, 'paused for long');
    }
  }

  private async claim(id: string, sourceLanguage: string): Promise<void> {
    const { leases, logger } = this.options;
    if (await leases.holder(id)) return;
    // The more this worker holds, the longer it lets others try first.
    const delay = this.held.size * (this.options.claimDelayPerSessionMs ?? 150) + Math.random() * 50;
    await new Promise((r) => setTimeout(r, delay));
    if (this.closed || (await leases.holder(id))) return;
    const lease = await leases.claim(id);
    if (!lease) return;
    try {
      const numbers = await this.options.store.lastNumbers(id);
      const runtime = await SessionRuntime.start({
        sessionId: id,
        sourceLanguage,
        engines: this.options.engines,
        bus: this.options.bus,
        store: this.options.store,
        logger: this.options.logger,
        observer: this.options.observer,
        pipeline: this.options.pipeline,
        logTranscripts: this.options.logTranscripts,
        firstSeq: numbers.seq,
        firstSegmentId: numbers.segmentId,
        takeover: { worker: this.options.workerId },
        onEnded: () => void this.forget(id, 'session ended'),
        now: this.now,
      });
      if (this.closed) {
        await runtime.close();
        await lease.release();
        return;
      }
      this.held.set(id, { runtime, lease, pausedSince: null });
      this.changed();
      logger.info(
        { session: id, worker: this.options.workerId, resumed: runtime.resumed },
        'session claimed',
      );
      void lease.lost.then(async () => {
        if (this.held.get(id)?.lease !== lease) return;
        logger.warn({ session: id }, 'lease lost: stopping the session here');
        this.held.delete(id);
        this.changed();
        await runtime.close();
      });
    } catch (err) {
      logger.error({ err, session: id }, 'could not start the session');
      await lease.release();
    }
  }

  /** Stop a held session cleanly (its last frames acknowledged) and release it. */
  private async give(id: string, why: string): Promise<void> {
    const h = this.held.get(id);
    if (!h) return;
    this.held.delete(id);
    this.changed();
    await h.runtime.stop();
    await h.lease.release();
    this.options.logger.info({ session: id, why }, 'session released');
  }

  private async forget(id: string, why: string): Promise<void> {
    const h = this.held.get(id);
    if (!h) return;
    this.held.delete(id);
    this.changed();
    await h.lease.release();
    this.options.logger.info({ session: id, why }, 'session released');
  }

  private changed(): void {
    this.options.observer.sessionsHeldChanged?.(this.held.size);
  }

  /** Shutdown: finish what was heard in every held session, then release them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.scanning;
    await Promise.all([...this.held.keys()].map((id) => this.give(id, 'worker stopping')));
  }
}
