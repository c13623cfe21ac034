/** /readyz says whether a store on a server (PostgreSQL) answers: a node that cannot reach it leaves the balancer. */
import { MemoryStore } from '@babelcast/core';
import { describe, expect, it } from 'vitest';
import { startTestServer } from './test-server.ts';

/** An in-memory store that behaves like one on a server: it answers pings until it is "down". */
class ServerStore extends MemoryStore {
  down = false;
  async ping(): Promise<void> {
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
      store.down = true;
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ ready: false, store: 'unreachable' });
      store.down = false;
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
