/**
 * Anonymous abuse and unlucky clients, each as the probe in issue 10 found it, against the real
 * server on a random port with real sockets: malformed upgrades, error bodies, rate limits, stuck
 * listeners, speaker seq edges, bounded shutdown.
 */
import { connect, type Socket } from 'node:net';
import { createFakeEngines, MemoryStore } from '@babelcast/core';
import { CloseCode, encodeSpeakerAudioFrame, ErrorCode, PROTOCOL_VERSION } from '@babelcast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, type StartOptions, startServer } from '../src/server.ts';
import { connectListener, connectSpeaker, createSession, TestClient } from './ws-client.ts';

const start = (options: StartOptions = {}) =>
  startServer({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    engineSet: createFakeEngines(),
    store: new MemoryStore(),
    ...options,
  });

const UPGRADE_HEADERS =
  'Host: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

interface RawAnswer {
  status: number;
  body: unknown;
  /** The server closed its side (FIN) while this client still held its own open. */
  serverClosed: boolean;
}

/**
 * Sends raw bytes and reads the answer without ever closing this side (allowHalfOpen), so
 * `serverClosed` proves the server itself ended the connection.
 */
function raw(
  port: number,
  request: string | Buffer,
  timeoutMs = 5000,
): Promise<RawAnswer & { socket: Socket }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let data = '';
    const done = (serverClosed: boolean) => {
      clearTimeout(timer);
      const [head = '', ...rest] = data.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      let body: unknown = null;
      try {
        body = JSON.parse(rest.join('\r\n\r\n'));
      } catch {}
      resolve({ status, body, serverClosed, socket });
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('data', (d) => {
      data += d.toString('latin1');
    });
    socket.on('end', () => done(true));
    socket.on('error', () => done(true));
    socket.write(request);
  });
}

const connections = (server: RunningServer) =>
  new Promise<number>((r) => server.app.server.getConnections((_e, n) => r(n)));

function stopReading(c: TestClient): void {
  (c.ws as unknown as { _socket: Socket })._socket.pause();
}
function resumeReading(c: TestClient): void {
  (c.ws as unknown as { _socket: Socket })._socket.resume();
}

const errorBody = (code: string) => ({ error: { code, message: expect.any(String) } });

describe('malformed upgrades', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('1,000 bad-URL upgrades each get 400 + the JSON body, leave 0 sockets open, and exit nothing', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const answers: RawAnswer[] = [];
      const held: Socket[] = [];
      for (let batch = 0; batch < 10; batch++) {
        const got = await Promise.all(
          Array.from({ length: 100 }, () =>
            raw(server.port, `GET http://[ HTTP/1.1\r\n${UPGRADE_HEADERS}\r\n`),
          ),
        );
        for (const a of got) {
          answers.push(a);
          held.push(a.socket);
        }
      }
      expect(answers.filter((a) => a.status === 400).length).toBe(1000);
      expect(answers.every((a) => a.serverClosed)).toBe(true);
      expect(answers[0]!.body).toEqual(errorBody(ErrorCode.BAD_REQUEST));
      // Every client still holds its socket open: only the server can have closed them.
      expect(await connections(server)).toBe(0);
      for (const s of held) s.destroy();
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    // And the server still serves a listener.
    const token = await server.createApiToken('after-flood');
    const id = await createSession(server.url, token);
    const listener = await connectListener(server.url, id, 'es');
    expect(listener.messages('welcome')).toHaveLength(1);
    listener.close();
  }, 60_000);

  it.each([
    ['unknown path', `GET /ws/nothing HTTP/1.1\r\n${UPGRADE_HEADERS}\r\n`, 404, ErrorCode.NOT_FOUND],
    [
      'bad Sec-WebSocket-Key',
      `GET /ws/listener HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: nope\r\n\r\n`,
      400,
      ErrorCode.BAD_REQUEST,
    ],
    ['POST upgrade', `POST /ws/listener HTTP/1.1\r\n${UPGRADE_HEADERS}\r\n`, 405, ErrorCode.BAD_REQUEST],
  ])('%s: refused with the JSON body, socket closed by the server', async (_name, request, status, code) => {
    const a = await raw(server.port, request);
    expect(a.status).toBe(status);
    expect(a.body).toEqual(errorBody(code));
    expect(a.serverClosed).toBe(true);
    a.socket.destroy();
  });
});

describe('one error body for every 4xx', () => {
  let server: RunningServer;
  let token: string;
  beforeAll(async () => {
    server = await start();
    token = await server.createApiToken('owner');
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each([
    ['404', 'GET /no/such/route HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 404, ErrorCode.NOT_FOUND],
    [
      '414 (long path segment)',
      `GET /api/sessions/${'a'.repeat(300)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      414,
      ErrorCode.BAD_REQUEST,
    ],
    [
      '431 (URL over 16 KiB)',
      `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      431,
      ErrorCode.BAD_REQUEST,
    ],
    [
      '400 (bad percent-encoding)',
      'GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      400,
      ErrorCode.BAD_REQUEST,
    ],
    ['400 (garbage request line)', 'GARBAGE\r\n\r\n', 400, ErrorCode.BAD_REQUEST],
    [
      '400 (bad JSON body)',
      'POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n{{{',
      400,
      ErrorCode.BAD_REQUEST,
    ],
  ])('%s', async (_name, request, status, code) => {
    const a = await raw(server.port, request, 2000);
    a.socket.destroy();
    expect(a.status).toBe(status);
    expect(a.body).toEqual(errorBody(code));
  });

  it('validates the transcript lang before it reaches Content-Disposition (400, not 500)', async () => {
    const id = await createSession(server.url, token);
    for (const lang of ['e"s', 'es\n', 'es%0d%0aX-Evil: 1', 'ñ', '../../x']) {
      const res = await fetch(
        `${server.url}/api/sessions/${id}/transcript?lang=${encodeURIComponent(lang)}`,
        {
          headers: { authorization: `Bearer ${token}` },
        },
      );
      expect(res.status, lang).toBe(400);
      expect(await res.json()).toEqual({
        error: { code: ErrorCode.VALIDATION, message: expect.any(String), details: expect.any(Array) },
      });
    }
    const ok = await fetch(`${server.url}/api/sessions/${id}/transcript?lang=es`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
  });

  it('refuses a listener hello with an unsupported protocol', async () => {
    const id = await createSession(server.url, token);
    const c = await connectListener(server.url, id, 'es');
    c.send({ type: 'hello', protocol: PROTOCOL_VERSION + 1 });
    expect((await c.closedWith()).code).toBe(CloseCode.UNSUPPORTED_PROTOCOL);
    expect(c.messages('error').map((e) => e.code)).toEqual([ErrorCode.UNSUPPORTED_PROTOCOL]);
    // The current protocol is welcome.
    const ok = await connectListener(server.url, id, 'es');
    ok.send({ type: 'hello', protocol: PROTOCOL_VERSION });
    ok.send({ type: 'ping', t: 1 });
    await ok.until(() => ok.messages('pong').length === 1, 'pong');
    expect(ok.received.closed).toBeNull();
    ok.close();
  });
});

describe('rate limits', () => {
  it('HTTP: 429 with BC_ERR_RATE_LIMITED past the per-address burst', async () => {
    const server = await start({ rateLimits: { http: { perSecond: 0.5, burst: 5 } } });
    try {
      const statuses: number[] = [];
      let limited: unknown = null;
      for (let i = 0; i < 8; i++) {
        const res = await fetch(`${server.url}/api/languages`);
        statuses.push(res.status);
        if (res.status === 429) {
          limited = await res.json();
          expect(res.headers.get('retry-after')).toBe('1');
        } else await res.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
      expect(limited).toEqual(errorBody(ErrorCode.RATE_LIMITED));
    } finally {
      await server.close();
    }
  });

  it('behind trustProxy, counts each client address from X-Forwarded-For; otherwise ignores the header', async () => {
    const get = (url: string, xff: string) =>
      fetch(`${url}/healthz`, { headers: { 'x-forwarded-for': xff } }).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      });
    const proxied = await start({ trustProxy: 1, rateLimits: { http: { perSecond: 0.01, burst: 2 } } });
    try {
      // A client forging an address to the left of the one the proxy appended gains nothing.
      expect([
        await get(proxied.url, '198.51.100.1'),
        await get(proxied.url, '6.6.6.6, 198.51.100.1'),
        await get(proxied.url, '7.7.7.7, 198.51.100.1'),
      ]).toEqual([200, 200, 429]);
      expect(await get(proxied.url, '198.51.100.2')).toBe(200);
    } finally {
      await proxied.close();
    }
    const direct = await start({ rateLimits: { http: { perSecond: 0.01, burst: 2 } } });
    try {
      expect([
        await get(direct.url, '198.51.100.1'),
        await get(direct.url, '198.51.100.2'),
        await get(direct.url, '198.51.100.3'),
      ]).toEqual([200, 200, 429]);
    } finally {
      await direct.close();
    }
  });

  it('WebSocket connections per address: over the rate, and over the concurrent listener cap, close 4429', async () => {
    const server = await start({
      rateLimits: { wsConnect: { perSecond: 0.01, burst: 3 }, maxListenersPerAddress: 2 },
    });
    try {
      const token = await server.createApiToken('s');
      const id = await createSession(server.url, token);
      const a = await connectListener(server.url, id, 'es');
      const b = await connectListener(server.url, id, 'fr');
      // Third concurrent listener from this address: over the cap.
      const c = new TestClient(
        `${server.url.replace(/^http/, 'ws')}/ws/listener?session=${id}&targetLanguage=es`,
      );
      expect((await c.closedWith()).code).toBe(CloseCode.RATE_LIMITED);
      expect(c.messages('error').map((e) => e.code)).toEqual([ErrorCode.RATE_LIMITED]);
      // Fourth connection: over the connection rate (burst 3), even after a listener left.
      a.close();
      await a.closedWith();
      const d = new TestClient(
        `${server.url.replace(/^http/, 'ws')}/ws/listener?session=${id}&targetLanguage=es`,
      );
      expect((await d.closedWith()).code).toBe(CloseCode.RATE_LIMITED);
      expect(d.messages('error')[0]?.message).toMatch(/too many connections/);
      b.close();
    } finally {
      await server.close();
    }
  });

  it('a freed listener slot can be used again', async () => {
    const server = await start({ rateLimits: { maxListenersPerAddress: 1 } });
    try {
      const token = await server.createApiToken('s');
      const id = await createSession(server.url, token);
      const a = await connectListener(server.url, id, 'es');
      a.close();
      await a.closedWith();
      await new Promise((r) => setTimeout(r, 50));
      const b = await connectListener(server.url, id, 'es');
      expect(b.received.closed).toBeNull();
      b.close();
    } finally {
      await server.close();
    }
  });

  it('listener messages: over the per-socket rate, errors and then close 4429', async () => {
    const server = await start({
      rateLimits: { listenerMessages: { perSecond: 1, burst: 5 } },
      limits: { maxBadMessages: 5 },
    });
    try {
      const token = await server.createApiToken('s');
      const id = await createSession(server.url, token);
      const c = await connectListener(server.url, id, 'es');
      for (let i = 0; i < 50; i++) c.send({ type: 'ping', t: i });
      expect((await c.closedWith()).code).toBe(CloseCode.RATE_LIMITED);
      // (The five within the rate are answered asynchronously, after the socket was already closing.)
      expect(c.messages('pong').length).toBeLessThanOrEqual(5);
      expect(c.messages('error').every((e) => e.code === ErrorCode.RATE_LIMITED)).toBe(true);
      expect(c.messages('error').length).toBe(5);
    } finally {
      await server.close();
    }
  });

  it('replay: a few per socket, then BC_ERR_RATE_LIMITED', async () => {
    const server = await start({ rateLimits: { replay: { perSecond: 0.1, burst: 2 } } });
    try {
      const token = await server.createApiToken('s');
      const id = await createSession(server.url, token);
      const c = await connectListener(server.url, id, 'es');
      for (let i = 0; i < 4; i++) c.send({ type: 'replay', since: -1 });
      await c.until(() => c.messages('error').length === 2, 'two refusals');
      expect(c.messages('error').map((e) => e.code)).toEqual([
        ErrorCode.RATE_LIMITED,
        ErrorCode.RATE_LIMITED,
      ]);
      expect(c.received.closed).toBeNull();
      c.close();
    } finally {
      await server.close();
    }
  });

  it('speaker control messages: over the per-socket rate, errors; audio frames are not counted', async () => {
    const server = await start({ rateLimits: { speakerMessages: { perSecond: 0.5, burst: 3 } } });
    try {
      const token = await server.createApiToken('s');
      const id = await createSession(server.url, token);
      const sp = await connectSpeaker(server.url, id, token);
      await sp.until(() => sp.messages('ready').length === 1, 'ready');
      for (let i = 0; i < 6; i++) sp.send({ type: 'ping', t: i });
      for (let seq = 1; seq <= 10; seq++)
        sp.send(encodeSpeakerAudioFrame({ seq, captureTimeMs: 0, samples: new Int16Array(1600) }));
      await sp.until(() => sp.messages('ack').some((a) => a.seq === 10), 'every frame acknowledged');
      // 3 pings pass (the burst), 3 are refused.
      expect(sp.messages('pong')).toHaveLength(3);
      expect(sp.messages('error').map((e) => e.code)).toEqual(Array(3).fill(ErrorCode.RATE_LIMITED));
      sp.close();
    } finally {
      await server.close();
    }
  });
});

describe('speaker seq edges', () => {
  it('refuses 0xFFFFFFFF and absurd jumps with BC_ERR_SEQ_OUT_OF_RANGE without poisoning the sequence', async () => {
    const server = await start({ limits: { maxSeqJump: 1000 } });
    try {
      const token = await server.createApiToken('s');
      const id = await createSession(server.url, token);
      const sp = await connectSpeaker(server.url, id, token);
      await sp.until(() => sp.messages('ready').length === 1, 'ready');
      const frame = (seq: number) =>
        encodeSpeakerAudioFrame({ seq, captureTimeMs: 0, samples: new Int16Array(1600) });
      sp.send(frame(1));
      sp.send(frame(0xffffffff));
      sp.send(frame(1 + 1001)); // more than maxSeqJump ahead
      sp.send(frame(2));
      sp.send(frame(2 + 1000)); // exactly maxSeqJump ahead: a gap, accepted
      sp.send(frame(1003));
      await sp.until(() => sp.messages('ack').length === 4, 'four acks');
      expect(sp.messages('ack').map((a) => a.seq)).toEqual([1, 2, 1002, 1003]);
      expect(sp.messages('error').map((e) => e.code)).toEqual([
        ErrorCode.SEQ_OUT_OF_RANGE,
        ErrorCode.SEQ_OUT_OF_RANGE,
      ]);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/babelcast_speaker_audio_gap_frames_total 999\b/);
      sp.close();
    } finally {
      await server.close();
    }
  });

  it('refuses a first frame above SPEAKER_SEQ_MAX', async () => {
    const server = await start();
    try {
      const token = await server.createApiToken('s');
      const id = await createSession(server.url, token);
      const sp = await connectSpeaker(server.url, id, token);
      await sp.until(() => sp.messages('ready').length === 1, 'ready');
      sp.send(encodeSpeakerAudioFrame({ seq: 0x80000000, captureTimeMs: 0, samples: new Int16Array(160) }));
      sp.send(encodeSpeakerAudioFrame({ seq: 0, captureTimeMs: 0, samples: new Int16Array(160) }));
      await sp.until(() => sp.messages('ack').length === 1, 'ack');
      expect(sp.messages('ack')[0]!.seq).toBe(0);
      expect(sp.messages('error').map((e) => e.code)).toEqual([ErrorCode.SEQ_OUT_OF_RANGE]);
      sp.close();
    } finally {
      await server.close();
    }
  });
});

describe('stuck listeners', () => {
  it('a listener that stops reading is closed with 4508 within stuckMs + heartbeatMs, kernel buffers or not', async () => {
    const server = await start({ limits: { heartbeatMs: 200, stuckMs: 1000 } });
    try {
      const token = await server.createApiToken('s');
      const id = await createSession(server.url, token);
      const healthy = await connectListener(server.url, id, 'es');
      const stuck = await connectListener(server.url, id, 'es');
      const session = await server.sessions.require(id);
      expect(session.hub.listenerCount).toBe(2);
      stopReading(stuck);
      const stoppedAt = Date.now();
      while (session.hub.listenerCount > 1 && Date.now() - stoppedAt < 5000)
        await new Promise((r) => setTimeout(r, 50));
      const after = Date.now() - stoppedAt;
      expect(session.hub.listenerCount).toBe(1);
      expect(after).toBeLessThan(1000 + 200 + 1000 + 500); // stuckMs + one tick + the close grace + slack
      expect(after).toBeGreaterThanOrEqual(1000);
      // When it reads again, it learns why: 4508, reconnect with since.
      resumeReading(stuck);
      expect((await stuck.closedWith()).code).toBe(CloseCode.SLOW_CONSUMER);
      // The healthy listener answered every ping and is still there.
      expect(healthy.received.closed).toBeNull();
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/babelcast_slow_consumer_disconnects_total 1\b/);
      healthy.close();
    } finally {
      await server.close();
    }
  });
});

describe('shutdown', () => {
  it('finishes within limits.shutdownTimeoutMs whatever sockets are open', async () => {
    const server = await start({ limits: { shutdownTimeoutMs: 1500 } });
    const token = await server.createApiToken('s');
    const id = await createSession(server.url, token);
    const open = (text: string) => {
      const s = connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
      s.on('error', () => {});
      s.write(text);
      return s;
    };
    const clientSockets = [
      // Half a request line, never finished.
      open('GET /api/langu'),
      // Mid-upgrade: headers not finished.
      open(`GET /ws/listener?session=${id}&targetLanguage=es HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n`),
      // A request sent, then the client half-closed and never reads the answer.
      open('GET /api/languages HTTP/1.1\r\nHost: x\r\n\r\n'),
    ];
    clientSockets[2]!.end();
    // An idle keep-alive connection.
    await (await fetch(`${server.url}/healthz`)).arrayBuffer();
    // A listener that never reads, and one that reads.
    const stuck = await connectListener(server.url, id, 'es');
    stopReading(stuck);
    const reader = await connectListener(server.url, id, 'fr');
    // A speaker mid-talk.
    const sp = await connectSpeaker(server.url, id, token);
    await sp.until(() => sp.messages('ready').length === 1, 'ready');

    const t0 = Date.now();
    await server.close();
    const took = Date.now() - t0;
    expect(took).toBeLessThan(1500 + 500);
    expect(await connections(server)).toBe(0);
    expect((await reader.closedWith()).code).toBe(CloseCode.GOING_AWAY);
    expect((await sp.closedWith()).code).toBe(CloseCode.GOING_AWAY);
    for (const s of clientSockets) s.destroy();
    stuck.ws.terminate();
  });
});
