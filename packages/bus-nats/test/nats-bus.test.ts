/**
 * The NATS bus on this machine's NATS server (BABELCAST_TEST_NATS_URL, default 127.0.0.1:4222).
 * Each test has its own prefix, so its own subjects, stream and bucket, deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import type { MessageBus } from '@babelcast/core';
import { describeBusConformance } from '@babelcast/core/testing';
import { describe, expect, it } from 'vitest';
import { BusUnavailableError, NatsBus } from '../src/index.ts';

export const NATS_URL = process.env.BABELCAST_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export function testPrefix(): string {
  return `bctest_${randomBytes(5).toString('hex')}`;
}

describeBusConformance('nats', async () => {
  const prefix = testPrefix();
  const buses: MessageBus[] = [];
  return {
    async connect() {
      const bus = await NatsBus.connect({
        url: NATS_URL,
        prefix,
        audio: { maxAgeMs: 600_000, maxBytes: 64 << 20 },
      });
      buses.push(bus);
      return bus;
    },
    async destroy() {
      await Promise.all(buses.map((b) => b.close()));
      await NatsBus.destroy(NATS_URL, prefix);
    },
  };
});

describe('NatsBus', () => {
  it('names host:port when NATS cannot be reached at start', async () => {
    const started = Date.now();
    const err = await NatsBus.connect({ url: 'nats://127.0.0.1:1', connectTimeoutMs: 2000 }).catch((e) => e);
    expect(err).toBeInstanceOf(BusUnavailableError);
    expect(err.message).toContain('127.0.0.1:1');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
