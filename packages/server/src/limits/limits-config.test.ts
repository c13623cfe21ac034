import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';

describe('limits in the config schema', () => {
  it('has defaults for every limit, from the schema alone', () => {
    const c = loadConfig({ env: {} });
    expect(c.rateLimits).toEqual({
      http: { perSecond: 100, burst: 1000 },
      wsConnect: { perSecond: 20, burst: 200 },
      maxListenersPerAddress: 1000,
      listenerMessages: { perSecond: 5, burst: 20 },
      replay: { perSecond: 0.2, burst: 3 },
      speakerMessages: { perSecond: 20, burst: 60 },
      trackedAddresses: 100_000,
    });
    expect(c.trustProxy).toBe(0);
    expect(c.limits).toMatchObject({
      shutdownTimeoutMs: 5000,
      maxSeqJump: 1_000_000,
      replayMaxBufferedBytes: 64 * 1024,
      heartbeatMs: 5000,
      stuckMs: 15_000,
      // Limits set before these were added keep their defaults too.
      maxBadMessages: 20,
      historySize: 500,
    });
  });

  it('fills the rest of a partly given group with defaults', () => {
    const c = loadConfig({
      env: {},
      overrides: { rateLimits: { http: { burst: 5 } }, limits: { stuckMs: 2000 } },
    });
    expect(c.rateLimits.http).toEqual({ perSecond: 100, burst: 5 });
    expect(c.rateLimits.replay).toEqual({ perSecond: 0.2, burst: 3 });
    expect(c.limits.stuckMs).toBe(2000);
    expect(c.limits.heartbeatMs).toBe(5000);
  });

  it('reads BABELCAST_TRUST_PROXY and names bad values', () => {
    expect(loadConfig({ env: { BABELCAST_TRUST_PROXY: '1' } }).trustProxy).toBe(1);
    expect(() => loadConfig({ env: { BABELCAST_TRUST_PROXY: 'yes' } })).toThrow(/trustProxy/);
    expect(() => loadConfig({ env: {}, overrides: { rateLimits: { http: { perSecond: 0 } } } })).toThrow(
      /rateLimits\.http\.perSecond/,
    );
    expect(() => loadConfig({ env: {}, overrides: { limits: { shutdownTimeoutMs: 10 } } })).toThrow(
      /limits\.shutdownTimeoutMs/,
    );
  });
});
