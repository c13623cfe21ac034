/**
 * Idle sessions (issue 10, part B.4), against the real server on a random port with short limits:
 * a session whose speaker left is paused and its pipeline released (engine streams closed, its
 * per-session metric series dropped), resumes when the speaker returns, and is ended after the
 * longer limit.
 */
import { createFakeEngines, type EngineSet, MemoryStore, readWavFile } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import { CloseCode, encodeSpeakerAudioFrame } from '@babelcast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './test-server.ts';
import { connectListener, connectSpeaker, createSession } from './ws-client.ts';

const PAUSE_MS = 300;
const END_MS = 2500;

/** Fake engines that count the recogniser and VAD streams open right now. */
function countingEngines(): { engines: EngineSet; open: () => number } {
  const engines = createFakeEngines();
  let open = 0;
  const wrap = <S extends { close(): void }>(create: (...a: never[]) => S) =>
    ((...args: never[]) => {
      const stream = create(...args);
      open++;
      const close = stream.close.bind(stream);
      let closed = false;
      stream.close = () => {
        if (!closed) open--;
        closed = true;
        close();
      };
      return stream;
    }) as typeof create;
  engines.asr.createStream = wrap(engines.asr.createStream.bind(engines.asr));
  engines.vad.createStream = wrap(engines.vad.createStream.bind(engines.vad));
  return { engines, open: () => open };
}

let server: RunningServer;
let token: string;
const counted = countingEngines();

beforeAll(async () => {
  server = await startTestServer({
    engineSet: counted.engines,
    store: new MemoryStore(),
    limits: { idlePauseMs: PAUSE_MS, idleEndMs: END_MS },
    metrics: { sessionLabels: true },
  });
  token = await server.createApiToken('alice');
});
afterAll(async () => {
  await server?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
const metricsText = async () => (await fetch(`${server.url}/metrics`)).text();

describe('idle sessions', () => {
  it('are paused and released without a speaker, resume when it returns, end after the longer limit', async () => {
    const id = await createSession(server.url, token);
    const listener = await connectListener(server.url, id, 'es');
    const speaker = await connectSpeaker(server.url, id, token);
    await speaker.until(() => speaker.messages('ready').length === 1, 'ready');
    const { samples } = readWavFile(speechClip('ljspeech-01.wav'));
    for (let i = 0; i < 5; i++)
      speaker.send(
        encodeSpeakerAudioFrame({
          seq: i + 1,
          captureTimeMs: 0,
          samples: samples.slice(i * 3200, (i + 1) * 3200),
        }),
      );
    speaker.send({ type: 'inputStats', rmsDbfs: -20, peakDbfs: -3, snrDb: 25, clipping: false });
    await speaker.until(() => speaker.messages('ack').some((a) => a.seq === 5), 'acks');
    const session = await server.sessions.require(id);
    const runtime = server.sessions.runtimeOf(id);
    expect(runtime?.hasPipeline).toBe(true);
    expect(counted.open()).toBeGreaterThan(0);
    await eventually(async () => (await metricsText()).includes(`session="${id}"`), 'per-session series');

    speaker.close();
    await listener.until(() => listener.messages('state').some((s) => s.state === 'paused'), 'paused');
    await eventually(() => !runtime?.hasPipeline && counted.open() === 0, 'pipeline released');
    expect(session.pauseReason).toBe('idle');
    expect(await metricsText()).not.toContain(`session="${id}"`);
    // The listener stays connected to the paused session meanwhile.
    expect(listener.received.closed).toBeNull();

    // The speaker comes back: live again by itself, and audio is taken (acked) at once.
    const back = await connectSpeaker(server.url, id, token);
    await back.until(() => back.messages('ready').length === 1, 'ready again');
    expect(back.messages('ready')[0]!.lastSeq).toBe(5);
    await listener.until(
      () => listener.messages('state').filter((s) => s.state === 'live').length >= 2,
      'live',
    );
    back.send(encodeSpeakerAudioFrame({ seq: 6, captureTimeMs: 0, samples: samples.slice(0, 3200) }));
    await back.until(() => back.messages('ack').some((a) => a.seq === 6), 'ack after resuming');
    expect(back.messages('error')).toEqual([]);

    // Gone for good: paused, then ended after the longer limit.
    const left = Date.now();
    back.close();
    const closed = await listener.closedWith();
    expect(closed.code).toBe(CloseCode.SESSION_ENDED);
    expect(Date.now() - left).toBeGreaterThanOrEqual(END_MS - 100);
    const info = (await (await fetch(`${server.url}/api/sessions/${id}`)).json()) as { state: string };
    expect(info.state).toBe('ended');
    expect(counted.open()).toBe(0);
  }, 20_000);

  it('a session nobody ever spoke into is ended after the longer limit too', async () => {
    const id = await createSession(server.url, token);
    const listener = await connectListener(server.url, id, 'fr');
    expect((await listener.closedWith()).code).toBe(CloseCode.SESSION_ENDED);
  }, 10_000);
});
