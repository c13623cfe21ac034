/**
 * Session leases on NATS: one key per session (`session.<id>`) in the KV bucket `<prefix>_leases`,
 * whose entries expire `ttlMs` after their last write (the bucket's max age; nats-server 2.9 has no
 * per-key TTL). A worker claims with `create` (fails if the key holds a value), renews every
 * ttl/3 with `update` at the revision it last wrote (fails if anyone else wrote since), and
 * releases with a purge. A worker that dies stops renewing; ttl later the entry is gone and
 * another worker's `create` succeeds.
 */
import type { Lease, SessionLeases } from '@babelcast/core';
import type { KV } from 'nats';
import type { BusLogger } from './nats-bus.ts';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export class NatsLeases implements SessionLeases {
  private readonly held = new Map<string, { stop: () => void; revision: () => number }>();
  private closed = false;

  constructor(
    readonly holderId: string,
    private readonly kv: KV,
    private readonly ttlMs: number,
    private readonly logger: BusLogger,
  ) {}

  private key(sessionId: string): string {
    return `session.${sessionId}`;
  }

  async claim(sessionId: string): Promise<Lease | null> {
    if (this.closed) return null;
    const key = this.key(sessionId);
    let revision: number;
    try {
      revision = await this.kv.create(key, utf8.encode(this.holderId));
    } catch (err) {
      if (/wrong last sequence|key exists/i.test((err as Error).message)) return null;
      throw err;
    }
    let markLost!: () => void;
    const lost = new Promise<void>((resolve) => {
      markLost = resolve;
    });
    let stopped = false;
    let renewing = false;
    const renew = async () => {
      if (stopped || renewing) return;
      renewing = true;
      try {
        revision = await this.kv.update(key, utf8.encode(this.holderId), revision);
      } catch (err) {
        if (stopped) return;
        // Someone else wrote the key (our entry expired and was claimed), or the server refused:
        // either way this worker may no longer be the only one running the session.
        this.logger.warn({ err, session: sessionId }, 'session lease lost');
        stop();
        markLost();
      } finally {
        renewing = false;
      }
    };
    const timer = setInterval(() => void renew(), Math.max(50, Math.floor(this.ttlMs / 3)));
    timer.unref?.();
    const stop = () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      this.held.delete(sessionId);
    };
    this.held.set(sessionId, { stop, revision: () => revision });
    return {
      sessionId,
      lost,
      release: async () => {
        if (stopped) return;
        stop();
        await this.kv.purge(key, { previousSeq: revision }).catch(() => {});
      },
    };
  }

  async holder(sessionId: string): Promise<string | null> {
    const entry = await this.kv.get(this.key(sessionId));
    if (entry?.operation !== 'PUT') return null;
    return fromUtf8.decode(entry.value);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [...this.held].map(async ([id, h]) => {
        h.stop();
        await this.kv.purge(this.key(id), { previousSeq: h.revision() }).catch(() => {});
      }),
    );
  }
}
