/**
 * Restarts (issue 10, part B.5), with the real SQLite store in a temp data dir and fake engines:
 * a restart mid-talk loses no acknowledged speech, the session goes live again when its speaker
 * reconnects, new listeners get the replay history from the store, and audio is never
 * acknowledged and then dropped.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWavFile } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import { CloseCode, ErrorCode, encodeSpeakerAudioFrame } from '@babelcast/protocol';
import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startTestServer } from './test-server.ts';
import { connectListener, connectSpeaker, createSession, type TestClient } from './ws-client.ts';

const start = (dataDir: string) => startTestServer({ dataDir });

/** 200 ms frames of a clip (no trailing silence: the utterance is still open when it ends). */
function frames(file: string): Int16Array[] {
  const { samples } = readWavFile(speechClip(file));
  const out: Int16Array[] = [];
  for (let at = 0; at < samples.length; at += 3200) out.push(samples.slice(at, at + 3200));
  return out;
}

async function send(speaker: TestClient, chunks: Int16Array[], firstSeq: number): Promise<number> {
  let seq = firstSeq;
  for (const samples of chunks)
    speaker.send(encodeSpeakerAudioFrame({ seq: ++seq, captureTimeMs: 0, samples }));
  await speaker.until(() => speaker.messages('ack').some((a) => a.seq === seq), `ack ${seq}`);
  return seq;
}

async function transcript(server: RunningServer, id: string, token: string) {
  const res = await fetch(`${server.url}/api/sessions/${id}/transcript?format=json`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return (await res.json()) as { text: string }[];
}

describe('restart mid-talk', () => {
  it('loses no acknowledged speech: the speaker reconnects, the session goes live, history is kept', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'babelcast-restart-'));
    const clip = frames('ljspeech-01.wav');
    let server = await start(dataDir);
    const token = await server.createApiToken('alice');
    const id = await createSession(server.url, token);
    const early = await connectListener(server.url, id, 'es');
    const speaker = await connectSpeaker(server.url, id, token);
    await speaker.until(() => speaker.messages('ready').length === 1, 'ready');
    // Talking: every frame acknowledged, the sentence not finished, when the node stops.
    const lastAcked = await send(speaker, clip, 0);
    expect(early.messages('caption').some((c) => c.kind === 'final')).toBe(false);
    await server.close();
    expect((await speaker.closedWith()).code).toBe(CloseCode.GOING_AWAY);
    // Shutdown finished the sentence for the listeners still there.
    expect(early.messages('caption').some((c) => c.kind === 'translation')).toBe(true);

    server = await start(dataDir);
    try {
      // The acknowledged speech before the restart is in the transcript (flushed at shutdown).
      const before = await transcript(server, id, token);
      expect(before).toHaveLength(1);
      expect(before[0]!.text.length).toBeGreaterThan(0);
      const info = (await (await fetch(`${server.url}/api/sessions/${id}`)).json()) as { state: string };
      expect(info.state).toBe('paused');

      // A new listener gets the history from the store.
      const listener = await connectListener(server.url, id, 'es');
      await listener.until(
        () => listener.messages('caption').some((c) => c.replay === true && c.kind === 'translation'),
        'replayed history after the restart',
      );
      expect(listener.messages('caption').find((c) => c.kind === 'final')?.text).toBe(before[0]!.text);

      // The speaker reconnects: the session goes live by itself, it resumes after the last ack.
      const again = await connectSpeaker(server.url, id, token);
      await again.until(() => again.messages('ready').length === 1, 'ready after restart');
      expect(again.messages('ready')[0]!.lastSeq).toBe(lastAcked);
      expect((again.messages('ready')[0]!.session as { state: string }).state).toBe('live');
      await listener.until(() => listener.messages('state').some((s) => s.state === 'live'), 'live');
      const silence = Array.from({ length: 5 }, () => new Int16Array(3200));
      await send(again, [...clip, ...silence], lastAcked);
      expect(again.messages('error')).toEqual([]);
      await listener.until(
        () => listener.messages('caption').some((c) => c.kind === 'translation' && !c.replay),
        'a new translation',
      );
      // Every acknowledged frame's speech is there: the same clip twice, the same words twice.
      const after = await transcript(server, id, token);
      expect(after.map((s) => s.text)).toEqual([before[0]!.text, before[0]!.text]);
      listener.close();
      again.close();
    } finally {
      await server.close();
    }
  }, 30_000);

  it('a session the speaker paused stays paused; its audio is refused with a reason, never acked', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'babelcast-restart-'));
    const clip = frames('ljspeech-02.wav');
    const server = await start(dataDir);
    try {
      const token = await server.createApiToken('alice');
      const id = await createSession(server.url, token);
      const speaker = await connectSpeaker(server.url, id, token);
      await speaker.until(() => speaker.messages('ready').length === 1, 'ready');
      const last = await send(speaker, clip.slice(0, 3), 0);
      speaker.send({ type: 'pause' });
      for (let i = 0; i < 5; i++)
        speaker.send(encodeSpeakerAudioFrame({ seq: last + 1 + i, captureTimeMs: 0, samples: clip[3 + i]! }));
      await speaker.until(() => speaker.messages('error').length === 1, 'the refusal');
      expect(speaker.messages('error')[0]!.code).toBe(ErrorCode.SESSION_PAUSED);
      speaker.send({ type: 'ping', t: 1 });
      await speaker.until(() => speaker.messages('pong').length === 1, 'pong');
      // One error for the five frames, no ack beyond what was taken, and the socket stays open.
      expect(speaker.messages('error')).toHaveLength(1);
      expect(Math.max(...speaker.messages('ack').map((a) => a.seq as number))).toBe(last);
      expect(speaker.received.closed).toBeNull();
      // A reconnect does not resume it either: only the speaker's resume does.
      speaker.close();
      const again = await connectSpeaker(server.url, id, token);
      await again.until(() => again.messages('ready').length === 1, 'ready');
      expect((again.messages('ready')[0]!.session as { state: string }).state).toBe('paused');
      expect(again.messages('ready')[0]!.lastSeq).toBe(last);
      again.send({ type: 'resume' });
      await again.until(() => again.messages('state').some((s) => s.state === 'live'), 'live');
      await send(again, clip.slice(3, 8), last);
      again.close();
    } finally {
      await server.close();
    }
  }, 30_000);
});
