import { describe, expect, it } from 'vitest';
import { addressKey, ConcurrencyLimit, clientAddress, KeyedBuckets, TokenBucket } from './rate-limit.ts';

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('TokenBucket', () => {
  it('allows the burst, then the sustained rate', () => {
    const c = clock();
    const b = new TokenBucket({ perSecond: 2, burst: 3 }, c.now);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    c.advance(499);
    expect(b.take()).toBe(false);
    c.advance(1);
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    // A long quiet spell refills up to the burst, never more.
    c.advance(60_000);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
  });
});

describe('KeyedBuckets', () => {
  it('counts each key separately', () => {
    const c = clock();
    const k = new KeyedBuckets({ perSecond: 1, burst: 1 }, 10, c.now);
    expect(k.take('a')).toBe(true);
    expect(k.take('a')).toBe(false);
    expect(k.take('b')).toBe(true);
  });

  it('stays within its cap under a flood of new keys, forgetting idle keys before indebted ones', () => {
    const c = clock();
    const k = new KeyedBuckets({ perSecond: 1, burst: 2 }, 100, c.now);
    k.take('attacker');
    k.take('attacker');
    expect(k.take('attacker')).toBe(false);
    for (let i = 0; i < 10_000; i++) {
      k.take(`10.0.${i >> 8}.${i & 255}`);
      expect(k.size).toBeLessThanOrEqual(100);
      // Keep the attacker's key recently used and in debt.
      if (i % 50 === 0) expect(k.take('attacker')).toBe(false);
    }
    expect(k.take('attacker')).toBe(false);
  });
});

describe('ConcurrencyLimit', () => {
  it('caps concurrent holders per key and frees on release', () => {
    const l = new ConcurrencyLimit(2);
    expect([l.acquire('a'), l.acquire('a'), l.acquire('a')]).toEqual([true, true, false]);
    expect(l.acquire('b')).toBe(true);
    l.release('a');
    expect(l.acquire('a')).toBe(true);
    l.release('a');
    l.release('a');
    expect(l.count('a')).toBe(0);
  });
});

describe('addressKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::ffff:cb00:7107', '203.0.113.7'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['not an address', 'not an address'],
  ])('%s → %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});

describe('clientAddress', () => {
  it('ignores X-Forwarded-For unless proxies are trusted', () => {
    expect(clientAddress('10.0.0.1', '1.2.3.4', 0)).toBe('10.0.0.1');
  });
  it('takes the address the trusted proxy appended, not one the client forged', () => {
    expect(clientAddress('127.0.0.1', '6.6.6.6, 198.51.100.9', 1)).toBe('198.51.100.9');
    expect(clientAddress('127.0.0.1', ['6.6.6.6', '198.51.100.9, 10.0.0.2'], 2)).toBe('198.51.100.9');
    expect(clientAddress('127.0.0.1', '198.51.100.9', 3)).toBe('198.51.100.9');
  });
  it('falls back to the peer when the header is missing or not an address', () => {
    expect(clientAddress('127.0.0.1', undefined, 1)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', 'garbage', 1)).toBe('127.0.0.1');
    expect(clientAddress(undefined, undefined, 0)).toBe('unknown');
  });
});
