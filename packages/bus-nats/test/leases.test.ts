/** Session leases in a JetStream KV bucket whose entries expire: claim, renew, expire, take over. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../src/index.ts';
import { PrivateNatsServer } from '../src/testing.ts';

let nats: PrivateNatsServer;
beforeAll(async () => {
  nats = await PrivateNatsServer.start();
});
afterAll(async () => {
  await nats?.destroy();
});

describe('NatsLeases', () => {
  it('one holder at a time; renewed while alive; free again after the TTL once its holder is gone', async () => {
    const a = await NatsBus.connect({ url: nats.url, prefix: 'lease' });
    const b = await NatsBus.connect({ url: nats.url, prefix: 'lease' });
    const ttl = 1000;
    const leasesA = await a.leases('worker-a', ttl);
    const leasesB = await b.leases('worker-b', ttl);
    try {
      const lease = await leasesA.claim('s1');
      expect(lease).not.toBeNull();
      expect(await leasesB.claim('s1')).toBeNull();
      expect(await leasesB.holder('s1')).toBe('worker-a');
      // Renewed: still held well past the TTL.
      await new Promise((r) => setTimeout(r, 2.5 * ttl));
      expect(await leasesB.holder('s1')).toBe('worker-a');
      expect(await leasesB.claim('s1')).toBeNull();

      // worker-a dies without releasing (its connection goes, nothing renews).
      await a.close();
      const diedAt = Date.now();
      let taken = null;
      while (!taken && Date.now() - diedAt < 5 * ttl) {
        taken = await leasesB.claim('s1');
        if (!taken) await new Promise((r) => setTimeout(r, 100));
      }
      expect(taken).not.toBeNull();
      expect(Date.now() - diedAt).toBeLessThan(2.5 * ttl);
      expect(await leasesB.holder('s1')).toBe('worker-b');

      // A clean release frees it at once.
      await taken!.release();
      expect(await leasesB.holder('s1')).toBeNull();
    } finally {
      await leasesB.close();
      await b.close();
      await a.close();
    }
  }, 20_000);
});
