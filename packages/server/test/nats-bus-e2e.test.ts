/**
 * The server on the NATS JetStream bus (this machine's NATS, BABELCAST_TEST_NATS_URL, default
 * 127.0.0.1:4222), fake engines: the speaker's frames go through the audio stream, captions and
 * voice come back on core subjects, demand through KV. The test's prefix keeps its subjects,
 * stream and bucket apart; they are deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { NatsBus } from '@babelcast/bus-nats';
import { PrivateNatsServer } from '@babelcast/bus-nats/testing';
import { readWavFile } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import { CloseCode, encodeSpeakerAudioFrame } from '@babelcast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './test-server.ts';
import { connectListener, connectSpeaker, createSession } from './ws-client.ts';

const NATS_URL = process.env.BABELCAST_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const prefix = `bctest_${randomBytes(5).toString('hex')}`;
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer({
    bus: { kind: 'nats', natsUrl: NATS_URL, natsPrefix: prefix, audioMaxAgeSeconds: 600 },
    // Faster than real time, as in server-e2e: one translation and one voice per sentence.
    pipeline: { mode: 'sentence' },
  });
});
afterAll(async () => {
  await server?.close();
  await NatsBus.destroy(NATS_URL, prefix);
});

describe('a live session on the NATS bus', () => {
  it('a speaker streams a clip; a listener gets captions and audio; audio is in the stream', async () => {
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { ready: boolean; bus: string };
    expect(ready).toMatchObject({ ready: true, bus: 'connected' });

    const token = await server.createApiToken('nats');
    const id = await createSession(server.url, token);
    const es = await connectListener(server.url, id, 'es');
    const sp = await connectSpeaker(server.url, id, token);
    await sp.until(() => sp.messages('ready').length === 1, 'ready');

    // The pipeline starts on the first frame and reads the listeners' languages from the bus: a
    // moment of silence first, as a real speaker's page sends, so it knows them before speech.
    const { samples } = readWavFile(speechClip('long-en-01.wav'));
    const frames: Int16Array[] = [];
    for (let i = 0; i < 5; i++) frames.push(new Int16Array(3200));
    for (let at = 0; at < samples.length; at += 3200) frames.push(samples.slice(at, at + 3200));
    for (let i = 0; i < 8; i++) frames.push(new Int16Array(3200));
    for (const [i, pcm] of frames.entries()) {
      sp.send(encodeSpeakerAudioFrame({ seq: i + 1, captureTimeMs: Date.now(), samples: pcm }));
      if (i === 4) {
        await sp.until(() => sp.messages('ack').some((a) => a.seq === 5), 'the silence');
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    await sp.until(() => sp.messages('ack').some((a) => a.seq === frames.length), 'every frame acknowledged');

    await es.until(() => {
      const finals = es.messages('caption').filter((c) => c.kind === 'final');
      const tr = es.messages('caption').filter((c) => c.kind === 'translation');
      return (
        finals.length >= 3 &&
        tr.length === finals.length &&
        es.received.audio.some((a) => a.segmentId === tr.at(-1)!.segmentId && (a.flags & 2) !== 0)
      );
    }, 'translations and voice');
    const captions = es.messages('caption');
    const seqs = captions.map((c) => c.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const finals = captions.filter((c) => c.kind === 'final');
    const translations = captions.filter((c) => c.kind === 'translation');
    expect(translations.map((t) => t.text)).toEqual(finals.map((f) => `[es] ${f.text}`));
    expect(es.received.audio.every((a) => a.language === 'es')).toBe(true);
    // The speaker's page sees its own captions, and the session state, over NATS too.
    expect(sp.messages('caption').some((c) => c.kind === 'final')).toBe(true);

    // Every accepted frame is in the session's JetStream stream, and the session's consumer has
    // acknowledged what it processed: a worker that takes over replays the rest, in order.
    const worker = await NatsBus.connect({ url: NATS_URL, prefix });
    try {
      expect(await worker.lastAudioSeq(id)).toBe(frames.length);
      const replayed: number[] = [];
      const consumer = await worker.consumeAudio(id, (f) => replayed.push(f.seq));
      expect(consumer.resumedAfter).toBeGreaterThan(5);
      expect(consumer.resumeMark?.segmentId).toBeGreaterThanOrEqual(1);
      const rest = frames.length - consumer.resumedAfter;
      await es.until(() => replayed.length >= rest, 'the frames not acknowledged yet');
      expect(replayed).toEqual(frames.map((_, i) => i + 1).slice(consumer.resumedAfter));
      await consumer.close();
    } finally {
      await worker.close();
    }

    // Ending goes out on the state subject: the hub closes its sockets when it arrives.
    const ended = await fetch(`${server.url}/api/sessions/${id}/end`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ended.status).toBe(200);
    expect((await es.closedWith()).code).toBe(CloseCode.SESSION_ENDED);
    sp.close();
  }, 60_000);

  it('BABELCAST_NATS_URL selects NATS; an unreachable one fails the start naming host:port', async () => {
    const err = await startTestServer({
      env: { BABELCAST_NATS_URL: 'nats://127.0.0.1:1' },
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/cannot reach NATS at 127\.0\.0\.1:1\b/);
  });

  it('/readyz says 503 "reconnecting" while NATS is gone, and ready again once it is back', async () => {
    const nats = await PrivateNatsServer.start();
    const node = await startTestServer({
      bus: { kind: 'nats', natsUrl: nats.url, natsPrefix: 'readyz' },
    });
    try {
      const readyz = async () => {
        const res = await fetch(`${node.url}/readyz`);
        return { status: res.status, bus: ((await res.json()) as { bus: string }).bus };
      };
      expect(await readyz()).toEqual({ status: 200, bus: 'connected' });
      await nats.stop();
      let last = await readyz();
      for (let i = 0; i < 100 && last.status !== 503; i++) {
        await new Promise((r) => setTimeout(r, 100));
        last = await readyz();
      }
      expect(last).toEqual({ status: 503, bus: 'reconnecting' });
      await nats.resume();
      for (let i = 0; i < 100 && last.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        last = await readyz();
      }
      expect(last).toEqual({ status: 200, bus: 'connected' });
    } finally {
      await node.close();
      await nats.destroy();
    }
  }, 60_000);
});
