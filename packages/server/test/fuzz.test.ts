/**
 * Fuzz: more than 10,000 generated malformed inputs (fast-check) against one real server in a
 * child process: raw HTTP request heads, HTTP API calls with random methods, paths, queries,
 * headers and bodies, listener upgrades with random queries, listener messages, speaker hellos,
 * speaker control messages and binary frames. Afterwards: the process never exited, no HTTP answer
 * was a 5xx, no socket was closed with an internal error, nothing was logged at error level, RSS
 * stayed bounded, and a normal session (fake engines) still works end to end.
 *
 * The limits are raised so that inputs reach the parsers instead of the rate limiters (those have
 * their own tests). Inputs are generated from a fixed seed (FUZZ_SEED overrides it): a failure
 * names the input and is reproducible.
 */
import { connect } from 'node:net';
import { readWavFile } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import { CloseCode, encodeSpeakerAudioFrame, ErrorCode } from '@babelcast/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildServer, spawnServer } from './child-server.ts';
import { connectListener, connectSpeaker, createSession, TestClient } from './ws-client.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const MB = 1024 * 1024;
const UNLIMITED = { perSecond: 1e6, burst: 1_000_000 };

let server: ChildServer;
let wsUrl: string;
let baselineRss: number;
const inputs: Record<string, number> = {};
const fiveHundreds: string[] = [];
const internalErrors: string[] = [];

function count(kind: string, n = 1): void {
  inputs[kind] = (inputs[kind] ?? 0) + n;
}

function sample<T>(arb: fc.Arbitrary<T>, numRuns: number, salt: number): T[] {
  return fc.sample(arb, { numRuns, seed: SEED + salt });
}

/** Records what a socket was told that would mean the server broke rather than refused. */
function watch(c: TestClient, what: string): void {
  c.ws.on('message', (data: Buffer, binary: boolean) => {
    if (binary) return;
    const text = data.toString('utf8');
    if (text.includes(ErrorCode.INTERNAL)) internalErrors.push(`${what}: ${text.slice(0, 200)}`);
  });
  c.ws.on('close', (code: number, reason: Buffer) => {
    if (code === CloseCode.INTERNAL_ERROR || code === 1011)
      internalErrors.push(`${what}: closed ${code} ${reason.toString()}`);
  });
}

beforeAll(async () => {
  server = await spawnServer({
    logLevel: 'error',
    rateLimits: {
      http: UNLIMITED,
      wsConnect: UNLIMITED,
      listenerMessages: UNLIMITED,
      replay: UNLIMITED,
      speakerMessages: UNLIMITED,
      maxListenersPerAddress: 100_000,
    },
    limits: { maxBadMessages: 1_000_000, helloTimeoutMs: 2000 },
  });
  wsUrl = server.url.replace(/^http/, 'ws');
  baselineRss = (await server.stats()).rss;
}, 90_000);

afterAll(async () => {
  await server?.stop();
});

// ---------- generators ----------

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
});
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  printable,
  fc.constantFrom('', ' ', '-1', '0', '1e400', 'NaN', '%00', '%zz', '../..', 'null', '[]', '{}', '\u0000'),
);
const weirdNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 0xffffffff, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, 1e-300),
);
const weirdValue = fc.oneof(
  anyText,
  weirdNumber,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A JSON object shaped like a message of one of `types`, with fields that may be anything. */
function messageLike(types: string[], fields: string[]) {
  return fc
    .record({
      type: fc.oneof(fc.constantFrom(...types), anyText),
      extra: fc.dictionary(fc.oneof(fc.constantFrom(...fields), printable), weirdValue, { maxKeys: 4 }),
    })
    .map(({ type, extra }) => JSON.stringify({ ...extra, type }));
}

const controlText = (types: string[], fields: string[]) =>
  fc.oneof(
    { weight: 6, arbitrary: messageLike(types, fields) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom('{', '{"type":', '"hello"', 'null', '[]', '{"type":"hello"}') },
  );

/** Binary speaker frames: random bytes, and valid headers with random seq, timestamp and payload length. */
const speakerFrame = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc
    .record({
      kind: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 255 })),
      version: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 255 })),
      seq: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 0xffffffff })),
      time: fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 0)),
      payload: fc.integer({ min: 0, max: 4000 }),
    })
    .map(({ kind, version, seq, time, payload }) => {
      const out = new Uint8Array(16 + payload);
      const view = new DataView(out.buffer);
      view.setUint8(0, kind);
      view.setUint8(1, version);
      view.setUint32(4, seq, true);
      view.setFloat64(8, time, true);
      for (let i = 16; i < out.length; i++) out[i] = (i * 31 + seq) & 0xff;
      return out;
    }),
);

// ---------- helpers ----------

async function httpStatus(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string },
) {
  const res = await fetch(server.url + path, {
    method,
    headers: init.headers,
    body: method === 'GET' || method === 'HEAD' ? undefined : init.body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sends raw bytes on a fresh TCP connection; the HTTP status answered, or 0 for none. */
function rawStatus(request: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect({ port: Number(new URL(server.url).port), host: '127.0.0.1' });
    let data = '';
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0));
    };
    const timer = setTimeout(finish, 300);
    socket.on('data', (d) => {
      data += d.toString('latin1');
      if (/\r\n\r\n/.test(data)) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(request, 'latin1');
  });
}

async function inBatches<T>(items: T[], size: number, each: (item: T, index: number) => Promise<void>) {
  for (let i = 0; i < items.length; i += size)
    await Promise.all(items.slice(i, i + size).map((item, j) => each(item, i + j)));
}

// ---------- the fuzz ----------

describe('fuzz (fast-check, one server, > 10,000 inputs)', () => {
  it('listener WebSocket: random upgrade queries and messages', async () => {
    const session = await server.createSession();
    await server.fillHistory(session, 50, 80);
    const queries = sample(
      fc.record({
        session: fc.oneof(fc.constant(session), anyText),
        targetLanguage: fc.oneof(fc.constantFrom('es', 'fr', 'xx', 'pt-BR', 'EN'), anyText),
        since: fc.option(fc.oneof(weirdNumber.map(String), anyText)),
        extra: fc.option(fc.webQueryParameters()),
      }),
      500,
      1,
    );
    await inBatches(queries, 25, async (q) => {
      const params = new URLSearchParams({ session: q.session, targetLanguage: q.targetLanguage });
      if (q.since !== null) params.set('since', q.since);
      const c = new TestClient(`${wsUrl}/ws/listener?${params}${q.extra ? `&${q.extra}` : ''}`);
      watch(c, `listener upgrade ${params}`);
      await c.opened.catch(() => {});
      c.send({ type: 'ping', t: 1 });
      await c.until(() => c.received.closed !== null || c.messages('pong').length > 0, 'pong or close', 5000);
      c.ws.terminate();
    });
    count('listener upgrades', queries.length);

    const messages = sample(
      fc.oneof(
        {
          weight: 8,
          arbitrary: controlText(
            ['hello', 'setLanguage', 'replay', 'ping'],
            ['protocol', 'token', 'targetLanguage', 'since', 't'],
          ),
        },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }) },
      ),
      3000,
      2,
    );
    const sockets = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const c = await connectListener(server.url, session, i % 2 ? 'es' : 'fr');
        watch(c, `listener ${i}`);
        return c;
      }),
    );
    messages.forEach((m, i) => {
      const c = sockets[i % sockets.length]!;
      if (c.ws.readyState === c.ws.OPEN) c.ws.send(m);
    });
    count('listener messages', messages.length);
    // Every socket still answers (or was closed with a documented refusal, e.g. hello protocol 7).
    for (const c of sockets) {
      if (c.ws.readyState === c.ws.OPEN) c.send({ type: 'ping', t: 424242 });
      await c.until(
        () => c.received.closed !== null || c.messages('pong').some((p) => p.t === 424242),
        'alive after the fuzz',
        15_000,
      );
      if (c.received.closed) expect(c.received.closed.code).not.toBe(CloseCode.INTERNAL_ERROR);
      c.ws.terminate();
    }
  }, 60_000);

  it('speaker WebSocket: random hellos, control messages and audio frames', async () => {
    const session = await createSession(server.url, server.token);
    const hellos = sample(
      fc.oneof(
        controlText(['hello'], ['protocol', 'token']),
        fc
          .record({ protocol: weirdNumber, token: fc.option(anyText) })
          .map((h) => JSON.stringify({ type: 'hello', ...h })),
        fc.uint8Array({ maxLength: 40 }),
      ),
      300,
      3,
    );
    await inBatches(hellos, 25, async (hello, i) => {
      const c = new TestClient(`${wsUrl}/ws/speaker?session=${i % 3 ? session : 'nope-nope-000'}`);
      watch(c, `speaker hello ${String(hello).slice(0, 80)}`);
      await c.opened;
      c.ws.send(hello);
      await c.until(
        () => c.received.closed !== null || c.messages('ready').length > 0,
        'close or ready',
        5000,
      );
      c.ws.terminate();
    });
    count('speaker hellos', hellos.length);

    const sp = await connectSpeaker(server.url, session, server.token);
    watch(sp, 'speaker');
    await sp.until(() => sp.messages('ready').length === 1, 'ready');
    const inputsForSpeaker = sample(
      fc.oneof(
        { weight: 3, arbitrary: speakerFrame },
        {
          weight: 2,
          // Not `end`: the session must stay up for the rest of the inputs.
          arbitrary: controlText(
            ['pause', 'resume', 'inputStats', 'ping', 'hello'],
            ['rmsDbfs', 'peakDbfs', 'snrDb', 'clipping', 't'],
          ),
        },
      ),
      2500,
      4,
    );
    for (const m of inputsForSpeaker) if (sp.ws.readyState === sp.ws.OPEN) sp.ws.send(m);
    count('speaker messages and frames', inputsForSpeaker.length);
    sp.send({ type: 'ping', t: 777 });
    await sp.until(
      () => sp.messages('pong').some((p) => p.t === 777),
      'speaker alive after the fuzz',
      30_000,
    );
    expect(sp.received.closed).toBeNull();
    sp.close();
  }, 60_000);

  it('HTTP: random request heads on raw sockets, and random API calls', async () => {
    const heads = sample(
      fc.oneof(
        fc.string({ unit: 'binary-ascii', maxLength: 300 }).map((s) => `${s}\r\n\r\n`),
        fc
          .record({
            method: fc.oneof(
              fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH'),
              printable,
            ),
            path: fc.oneof(
              fc.webPath(),
              anyText,
              fc.constantFrom('http://[', '//', '*', '/%', '/api/sessions/%ff'),
            ),
            version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2', 'HTTP/9.9', ''),
            headers: fc.array(fc.tuple(printable, fc.string({ unit: 'binary-ascii', maxLength: 40 })), {
              maxLength: 5,
            }),
            upgrade: fc.boolean(),
          })
          .map(({ method, path, version, headers, upgrade }) => {
            const lines = [
              `${method} ${path} ${version}`,
              'Host: x',
              ...headers.map(([k, v]) => `${k}: ${v}`),
            ];
            if (upgrade)
              lines.push(
                'Connection: Upgrade',
                'Upgrade: websocket',
                'Sec-WebSocket-Version: 13',
                'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
              );
            return `${lines.join('\r\n')}\r\n\r\n`;
          }),
      ),
      1500,
      5,
    );
    await inBatches(heads, 100, async (head) => {
      const status = await rawStatus(head);
      if (status >= 500) fiveHundreds.push(`${status} raw ${JSON.stringify(head.slice(0, 120))}`);
    });
    count('raw HTTP request heads', heads.length);

    const ownSession = await createSession(server.url, server.token);
    const id = fc.oneof(
      fc.constant(ownSession),
      fc.constantFrom('nope-nope-000', 'a', ''),
      anyText.map(encodeURIComponent),
    );
    const call = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
      path: fc.oneof(
        id.map((i) => `/api/sessions/${i}`),
        fc
          .tuple(id, fc.constantFrom('pause', 'resume', 'transcript', 'nothing'))
          .map(([i, a]) => `/api/sessions/${i}/${a}`),
        fc
          .tuple(id, anyText, anyText)
          .map(
            ([i, l, f]) =>
              `/api/sessions/${i}/transcript?lang=${encodeURIComponent(l)}&format=${encodeURIComponent(f)}`,
          ),
        anyText.map((s) => `/api/sessions?state=${encodeURIComponent(s)}`),
        fc.constantFrom(
          '/api/sessions',
          '/api/languages',
          '/api/me',
          '/healthz',
          '/readyz',
          '/metrics',
          '/speak',
          '/',
        ),
        fc.webSegment().map((s) => `/join/${s}`),
        fc.webPath().map((p) => p || '/'),
      ),
      auth: fc.oneof(
        fc.constant(undefined),
        fc.constant(`Bearer ${server.token}`),
        printable.map((t) => `Bearer ${t}`),
        printable,
      ),
      contentType: fc.oneof(
        fc.constant(undefined),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data',
        ),
        printable,
      ),
      body: fc.oneof(
        fc.constant(undefined),
        fc.json({ maxDepth: 3 }),
        fc.record({ sourceLanguage: anyText, title: fc.option(anyText) }).map((b) => JSON.stringify(b)),
        fc.string({ unit: 'binary', maxLength: 300 }),
      ),
    });
    const calls = sample(call, 4200, 6);
    await inBatches(calls, 20, async (c) => {
      // Never end the session used above (a pause/resume is fine).
      if (c.path.endsWith('/end')) return;
      const headers: Record<string, string> = {};
      if (c.auth) headers.authorization = c.auth;
      if (c.contentType) headers['content-type'] = c.contentType;
      let status: number;
      try {
        status = await httpStatus(c.method, c.path, { headers, body: c.body });
      } catch (err) {
        // The client refused to send it (e.g. a header value fetch rejects): not an input the server saw.
        if (err instanceof TypeError) return;
        throw err;
      }
      count('HTTP API calls');
      if (status >= 500)
        fiveHundreds.push(`${status} ${c.method} ${c.path} ${JSON.stringify(c)}`.slice(0, 300));
    });
  }, 60_000);

  it('afterwards: > 10,000 inputs, no exit, no 5xx, no internal error, bounded RSS, and a normal session works', async () => {
    const total = Object.values(inputs).reduce((a, b) => a + b, 0);
    const stats = await server.stats();
    console.log(
      `fuzz seed ${SEED}: ${total} inputs ${JSON.stringify(inputs)}; RSS ${Math.round(baselineRss / MB)} → ${Math.round(stats.rss / MB)} MB`,
    );
    expect(total).toBeGreaterThanOrEqual(10_000);
    expect(server.exited).toBeNull();
    expect(fiveHundreds).toEqual([]);
    expect(internalErrors).toEqual([]);
    expect(server.errorLogs).toEqual([]);
    expect(stats.rss - baselineRss).toBeLessThan(150 * MB);

    // A normal session, start to finish.
    const id = await createSession(server.url, server.token);
    const listener = await connectListener(server.url, id, 'es');
    const sp = await connectSpeaker(server.url, id, server.token);
    await sp.until(() => sp.messages('ready').length === 1, 'ready');
    const { samples } = readWavFile(speechClip('ljspeech-03.wav'));
    const padded = new Int16Array(samples.length + 16000);
    padded.set(samples);
    let seq = 0;
    for (let at = 0; at < padded.length; at += 3200)
      sp.send(
        encodeSpeakerAudioFrame({ seq: ++seq, captureTimeMs: 0, samples: padded.slice(at, at + 3200) }),
      );
    await listener.until(
      () => listener.messages('caption').some((c) => c.kind === 'translation' && c.lang === 'es'),
      'a Spanish translation after the fuzz',
      30_000,
    );
    await sp.until(() => sp.messages('ack').some((a) => a.seq === seq), 'every frame acknowledged');
    sp.close();
    listener.close();
  }, 60_000);
});
