/** An overloaded recogniser pauses the speaker's socket instead of queueing without bound or dropping audio. */
import { createFakeEngines, FakeAsr, readWavFile } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import { encodeSpeakerAudioFrame } from '@babelcast/protocol';
import { describe, expect, it } from 'vitest';
import { startTestServer } from './test-server.ts';
import { connectListener, connectSpeaker, createSession } from './ws-client.ts';

describe('recogniser backpressure', () => {
  it('pauses reading the speaker while the recogniser is behind, then takes every frame', async () => {
    const server = await startTestServer({
      // A recogniser that needs 600 ms per utterance: far slower than the audio arrives.
      engineSet: { ...createFakeEngines(), asr: new FakeAsr({ finishDelayMs: 600 }) },
      limits: { maxAsrBacklogSeconds: 2 },
    });
    try {
      const token = await server.createApiToken('s');
      const id = await createSession(server.url, token);
      const listener = await connectListener(server.url, id, 'es');
      const speaker = await connectSpeaker(server.url, id, token);
      const { samples } = readWavFile(speechClip('long-en-02.wav'));
      let seq = 0;
      // 45 s of speech sent at once: the recogniser needs several seconds for it.
      for (let at = 0; at < samples.length; at += 3200)
        speaker.send(
          encodeSpeakerAudioFrame({ seq: ++seq, captureTimeMs: 0, samples: samples.slice(at, at + 3200) }),
        );
      for (let i = 0; i < 8; i++)
        speaker.send(
          encodeSpeakerAudioFrame({ seq: ++seq, captureTimeMs: 0, samples: new Int16Array(3200) }),
        );
      await speaker.until(
        () => speaker.messages('ack').some((a) => a.seq === seq),
        'every frame acknowledged',
        60_000,
      );
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/babelcast_speaker_backpressure_total [1-9]/);
      expect(metrics).toMatch(/babelcast_speaker_audio_gap_frames_total 0/);
      // Nothing was lost: every utterance still reaches the listener.
      await listener.until(
        () => listener.messages('caption').filter((c) => c.kind === 'translation').length >= 4,
        'translations',
        30_000,
      );
      speaker.close();
      listener.close();
    } finally {
      await server.close();
    }
  }, 90_000);
});
