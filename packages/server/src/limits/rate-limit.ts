/**
 * Token buckets for the per-address and per-socket limits (see `rateLimits` in config.ts), and
 * the client address they are keyed by. Everything here is O(1) per request and bounded in memory:
 * a flood of new addresses evicts the idle ones first, never grows the table past its cap.
 */
import { isIP } from 'node:net';

export interface BucketSpec {
  /** Tokens added per second (the sustained rate). */
  perSecond: number;
  /** Bucket size: how many may come at once after a quiet spell. */
  burst: number;
}

export type Clock = () => number;

const monotonic: Clock = () => performance.now();

/** One bucket: `take()` is true while the caller is within its rate. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly spec: BucketSpec,
    private readonly now: Clock = monotonic,
  ) {
    this.tokens = spec.burst;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.spec.burst, this.tokens + ((t - this.last) * this.spec.perSecond) / 1000);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface Entry {
  tokens: number;
  last: number;
}

/** A bucket per key (client address), at most `maxKeys` of them. */
export class KeyedBuckets {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly spec: BucketSpec,
    private readonly maxKeys: number,
    private readonly now: Clock = monotonic,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  take(key: string): boolean {
    const t = this.now();
    let e = this.entries.get(key);
    if (e) {
      e.tokens = Math.min(this.spec.burst, e.tokens + ((t - e.last) * this.spec.perSecond) / 1000);
      e.last = t;
      // Re-insert: the map's order is then least recently used first, which is what eviction drops.
      this.entries.delete(key);
    } else {
      if (this.entries.size >= this.maxKeys) this.evict(t);
      e = { tokens: this.spec.burst, last: t };
    }
    this.entries.set(key, e);
    if (e.tokens < 1) return false;
    e.tokens -= 1;
    return true;
  }

  /** Forget buckets that have refilled (they carry no debt), then the least recently used. */
  private evict(t: number): void {
    const target = Math.floor(this.maxKeys * 0.9);
    for (const [key, e] of this.entries) {
      if (e.tokens + ((t - e.last) * this.spec.perSecond) / 1000 >= this.spec.burst) this.entries.delete(key);
    }
    for (const key of this.entries.keys()) {
      if (this.entries.size <= target) break;
      this.entries.delete(key);
    }
  }
}

/** Concurrent connections per key, capped. */
export class ConcurrencyLimit {
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts one more for `key` and returns true, or returns false (counting nothing) at the cap. */
  acquire(key: string): boolean {
    const n = this.counts.get(key) ?? 0;
    if (n >= this.max) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = (this.counts.get(key) ?? 0) - 1;
    if (n > 0) this.counts.set(key, n);
    else this.counts.delete(key);
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

/** Expands an IPv6 address to its eight 16-bit groups; null if it is not one. */
function ipv6Groups(address: string): number[] | null {
  let a = address;
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  // A trailing dotted IPv4 part (e.g. ::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    a = `${a.slice(0, v4.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return null;
  const groups = [...head, ...new Array<string>(missing).fill('0'), ...tail].map((g) =>
    Number.parseInt(g, 16),
  );
  return groups.some((g) => Number.isNaN(g)) ? null : groups;
}

/**
 * The key limits are counted by: an IPv4 address as is, an IPv4-mapped IPv6 address as its IPv4
 * address, any other IPv6 address by its /64 prefix (one subscriber line gets a whole /64, so per
 * address would be no limit at all).
 */
export function addressKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const g = ipv6Groups(address);
  if (!g) return address;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
  }
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}

/**
 * The client's address. With `trustProxy` = n reverse proxies in front, the n-th address from the
 * right of `X-Forwarded-For` + the peer: each proxy appends the address it saw, so anything further
 * left was written by the client and cannot be trusted.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustProxy: number,
): string {
  const remote = peer ?? 'unknown';
  if (trustProxy <= 0 || forwardedFor === undefined) return remote;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const chain = [...hops, remote];
  const picked = chain[Math.max(0, chain.length - 1 - trustProxy)]!;
  return isIP(picked) ? picked : remote;
}
