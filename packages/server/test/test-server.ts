/**
 * The server most tests start: a free port on 127.0.0.1, no logs, the fake engines, and an
 * in-memory store unless the test names a data directory or a store section (restarts,
 * PostgreSQL). Any start option overrides these. And the speech most tests send it.
 */
import { createFakeEngines, MemoryStore, readWavFile } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import { encodeSpeakerAudioFrame } from '@babelcast/protocol';
import { type RunningServer, type StartOptions, startServer } from '../src/server.ts';
import type { TestClient } from './ws-client.ts';

export function startTestServer(overrides: StartOptions = {}): Promise<RunningServer> {
  const inMemory = overrides.dataDir === undefined && overrides.store === undefined;
  return startServer({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    engineSet: createFakeEngines(),
    ...(inMemory ? { store: new MemoryStore() } : {}),
    ...overrides,
  });
}

/**
 * Sends a clip of the shared speech data as 200 ms frames numbered on from `afterSeq`, all at once,
 * then `silenceMs` of silence (a pause ends the sentence). Returns the last frame's seq.
 */
export function sendClip(
  speaker: TestClient,
  clip: string,
  { afterSeq = 0, silenceMs = 1000 }: { afterSeq?: number; silenceMs?: number } = {},
): number {
  const { samples } = readWavFile(speechClip(clip));
  const padded = new Int16Array(samples.length + (silenceMs * 16000) / 1000);
  padded.set(samples);
  let seq = afterSeq;
  for (let at = 0; at < padded.length; at += 3200)
    speaker.send(
      encodeSpeakerAudioFrame({ seq: ++seq, captureTimeMs: 0, samples: padded.slice(at, at + 3200) }),
    );
  return seq;
}
