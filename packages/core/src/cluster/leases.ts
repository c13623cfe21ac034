/**
 * Which worker runs a session's pipeline. A worker claims a session with a lease that expires
 * unless it is renewed; if the worker dies, the lease runs out and another worker claims the
 * session and resumes it from the audio stream. On NATS the leases are keys of a JetStream KV
 * bucket whose entries expire (@babelcast/bus-nats NatsLeases); in one process, InMemoryLeases.
 */

export interface Lease {
  readonly sessionId: string;
  /** Resolves when the lease is lost (not renewed in time, or taken): the holder must stop at once. */
  readonly lost: Promise<void>;
  /** Give the session up (after a clean stop). Idempotent. */
  release(): Promise<void>;
}

export interface SessionLeases {
  /** This node's id, the value of the leases it holds. */
  readonly holderId: string;
  /** Claim `sessionId`; null when someone else holds it. The lease renews itself until released or lost. */
  claim(sessionId: string): Promise<Lease | null>;
  /** Who holds the session now, or null. */
  holder(sessionId: string): Promise<string | null>;
  /** Stop renewing (leases then run out) and release what is held. */
  close(): Promise<void>;
}

interface Held {
  holder: string;
  expiresAt: number;
}

/**
 * Leases in one process (tests, and the cluster code run without NATS). Holders share one table;
 * `ttlMs` and renewal behave as on NATS, and `expire(id)` simulates a holder that died.
 */
export class LeaseTable {
  readonly held = new Map<string, Held>();
  constructor(
    readonly ttlMs = 3000,
    readonly now: () => number = Date.now,
  ) {}

  current(sessionId: string): Held | null {
    const h = this.held.get(sessionId);
    if (!h) return null;
    if (h.expiresAt <= this.now()) {
      this.held.delete(sessionId);
      return null;
    }
    return h;
  }

  /** A holder died: its leases are gone (as after the TTL on NATS). */
  expireHolder(holder: string): void {
    for (const [id, h] of this.held) if (h.holder === holder) this.held.delete(id);
  }
}

export class InMemoryLeases implements SessionLeases {
  private readonly leases = new Map<string, { stop: () => void }>();
  constructor(
    readonly holderId: string,
    private readonly table: LeaseTable,
    private readonly renewEveryMs = Math.max(10, Math.floor(table.ttlMs / 3)),
  ) {}

  async claim(sessionId: string): Promise<Lease | null> {
    if (this.table.current(sessionId)) return null;
    const { table, holderId } = this;
    table.held.set(sessionId, { holder: holderId, expiresAt: table.now() + table.ttlMs });
    let markLost!: () => void;
    const lost = new Promise<void>((resolve) => {
      markLost = resolve;
    });
    let stopped = false;
    const timer = setInterval(() => {
      const h = table.current(sessionId);
      if (!h || h.holder !== holderId) {
        stop();
        markLost();
        return;
      }
      h.expiresAt = table.now() + table.ttlMs;
    }, this.renewEveryMs);
    timer.unref?.();
    const stop = () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      this.leases.delete(sessionId);
    };
    this.leases.set(sessionId, { stop });
    return {
      sessionId,
      lost,
      release: async () => {
        stop();
        if (table.current(sessionId)?.holder === holderId) table.held.delete(sessionId);
      },
    };
  }

  async holder(sessionId: string): Promise<string | null> {
    return this.table.current(sessionId)?.holder ?? null;
  }

  async close(): Promise<void> {
    for (const [id, l] of [...this.leases]) {
      l.stop();
      if (this.table.current(id)?.holder === this.holderId) this.table.held.delete(id);
    }
  }
}
