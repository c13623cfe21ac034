/** /readyz says whether a store on a server (PostgreSQL) answers: a node that cannot reach it leaves the balancer. */
import { MemoryStore } from '@babelcast/core';
import { describe, expect, it } from 'vitest';
import { startTestServer } from './test-server.ts';

/** An in-memory store that behaves like one on a server: it answers pings until it is "down". */
class ServerStore extends MemoryStore {
  down = false;
  pings = 0;
  async ping(): Promise<void> {
    this.pings++;
    if (this.down) throw new Error('connection refused');
  }
}

describe('/readyz', () => {
  it('reports the store: local for SQLite or memory, ok while PostgreSQL answers, 503 when it does not', async () => {
    const local = await startTestServer();
    try {
      const res = await fetch(`${local.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ready: true, store: 'local', bus: 'connected' });
    } finally {
      await local.close();
    }
    const store = new ServerStore();
    const server = await startTestServer({ store });
    try {
      expect(await (await fetch(`${server.url}/readyz`)).json()).toMatchObject({ ready: true, store: 'ok' });
      const pings = store.pings;
      for (let i = 0; i < 5; i++) await fetch(`${server.url}/readyz`);
      expect(store.pings).toBe(pings);
      store.down = true;
      // The store is asked at most once a second, however often /readyz is called.
      await new Promise((r) => setTimeout(r, 1100));
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ ready: false, store: 'unreachable' });
      store.down = false;
      await new Promise((r) => setTimeout(r, 1100));
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
