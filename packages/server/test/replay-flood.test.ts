/**
 * The probe's replay flood: `{"type":"replay","since":-1}` thousands of times from four listener
 * sockets that never read. Before the limits, each request queued the whole history again (10,000
 * of them took one server from 154 MB to 929 MB). The server runs in a child process so that its
 * RSS is measured without this test's own clients in the same heap.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildServer, spawnServer } from './child-server.ts';
import { connectListener, type TestClient } from './ws-client.ts';

const MB = 1024 * 1024;
let server: ChildServer;

beforeAll(async () => {
  server = await spawnServer(); // the default limits: they are what protects a real node
}, 90_000);
afterAll(async () => {
  await server?.stop();
});

function stopReading(c: TestClient): void {
  (c.ws as unknown as { _socket: Socket })._socket.pause();
}

describe('listener replay flood', () => {
  it('4 non-reading sockets × 5,000 replays of a 500-caption history: RSS within +100 MB, sockets closed', async () => {
    const session = await server.createSession();
    // 500 finished captions of 400 characters: one replay since=-1 is about 250 kB.
    await server.fillHistory(session, 500, 400);

    // Warm up (first replay, JIT) so the baseline is the steady state.
    const warm = await connectListener(server.url, session, 'es');
    warm.send({ type: 'replay', since: -1 });
    await warm.until(
      () => warm.messages('caption').filter((c) => c.replay && c.seq === 500).length >= 2,
      'the join replay and one requested replay',
    );
    warm.close();
    await warm.closedWith();
    const before = (await server.stats()).rss;

    const clients = await Promise.all([0, 1, 2, 3].map(() => connectListener(server.url, session, 'es')));
    for (const c of clients) stopReading(c);

    let peak = before;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, (await server.stats()).rss);
        if (peak - before > 100 * MB) return; // fail fast rather than eat the machine's memory
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const message = JSON.stringify({ type: 'replay', since: -1 });
    for (let i = 0; i < 5000 && peak - before <= 100 * MB; i++) {
      for (const c of clients) if (c.ws.readyState === c.ws.OPEN) c.ws.send(message);
      if (i % 500 === 0) await new Promise((r) => setTimeout(r, 10));
    }

    // The server closes all four (rate limit, then the error budget), and lets go of their buffers.
    const deadline = Date.now() + 20_000;
    let stats = await server.stats();
    while (stats.listeners > 0 && Date.now() < deadline && peak - before <= 100 * MB) {
      await new Promise((r) => setTimeout(r, 100));
      stats = await server.stats();
    }
    sampling = false;
    await sampler;
    console.log(
      `replay flood: RSS ${Math.round(before / MB)} MB before, peak ${Math.round(peak / MB)} MB (+${((peak - before) / MB).toFixed(1)} MB)`,
    );
    expect(peak - before).toBeLessThan(100 * MB);
    expect(stats.listeners).toBe(0);
    for (const c of clients) c.ws.terminate();
    expect(server.exited).toBeNull();
    expect(server.errorLogs).toEqual([]);
  }, 90_000);
});
