/**
 * The product as a new user gets it: the embedded engines (Silero VAD, pocketsphinx, Apertium,
 * espeak-ng/flite, Opus), a real English recording, and a Spanish and a French listener. Asserts
 * on content: translated captions overlap the reference translation (chrF), and the voice decodes to
 * audible speech of plausible length.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpusPacketDecoder } from '@babelcast/codec-opus';
import { chrF, readWavFile, rmsDbfs } from '@babelcast/core';
import { speechClip, speechTranslations } from '@babelcast/core/testing';
import { encodeSpeakerAudioFrame } from '@babelcast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/server.ts';
import { TestClient } from './ws-client.ts';

/**
 * Floors measured on this clip set (see docs/benchmarks.md): pocketsphinx mis-hears about a third
 * of the words and Apertium is rule-based, so the figures are low, but captions of random Spanish
 * text score under 15 against these references; the floors sit well above that and below what the
 * pipeline reaches.
 */
const CHRF_FLOOR: Record<string, number> = { es: 25, fr: 20 };
const CLIPS = [
  'fleurs-en-01.wav',
  'fleurs-en-02.wav',
  'fleurs-en-03.wav',
  'fleurs-en-04.wav',
  'fleurs-en-05.wav',
];

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    dataDir: mkdtempSync(join(tmpdir(), 'bc-emb-')),
  });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe('embedded engines end to end', () => {
  it('gives Spanish and French listeners translated captions and audible voice from real English speech', async () => {
    expect(server.engines.asr.info.id).toBe('pocketsphinx');
    expect(server.engines.mt.info.id).toBe('apertium');
    const token = await server.createApiToken('e2e');
    const res = await fetch(`${server.url}/api/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sourceLanguage: 'en' }),
    });
    const { id } = (await res.json()) as { id: string };
    const ws = server.url.replace('http', 'ws');
    const listeners = {
      es: new TestClient(`${ws}/ws/listener?session=${id}&targetLanguage=es`),
      fr: new TestClient(`${ws}/ws/listener?session=${id}&targetLanguage=fr`),
    };
    for (const l of Object.values(listeners))
      await l.until(() => l.messages('welcome').length === 1, 'welcome');
    const speaker = new TestClient(`${ws}/ws/speaker?session=${id}`);
    await speaker.opened;
    speaker.send({ type: 'hello', protocol: 1, token });
    await speaker.until(() => speaker.messages('ready').length === 1, 'ready');

    // Each clip, then 1.5 s of silence, in 200 ms frames; sent faster than real time (the pipeline
    // is driven by samples, not wall time), one clip per utterance.
    let seq = 0;
    for (const clip of CLIPS) {
      const { samples } = readWavFile(speechClip(clip));
      const padded = new Int16Array(samples.length + 24_000);
      padded.set(samples);
      for (let at = 0; at < padded.length; at += 3200)
        speaker.send(
          encodeSpeakerAudioFrame({
            seq: ++seq,
            captureTimeMs: Date.now(),
            samples: padded.slice(at, at + 3200),
          }),
        );
    }
    await speaker.until(
      () => speaker.messages('ack').some((a) => a.seq === seq),
      'all audio acknowledged',
      60_000,
    );

    const refs = speechTranslations();
    for (const [lang, client] of Object.entries(listeners)) {
      await client.until(
        () => {
          const finals = client.messages('caption').filter((c) => c.kind === 'final');
          const tr = client.messages('caption').filter((c) => c.kind === 'translation');
          return (
            finals.length >= CLIPS.length &&
            tr.length === finals.length &&
            client.received.audio.some((a) => a.segmentId === tr.at(-1)!.segmentId && (a.flags & 2) !== 0)
          );
        },
        `${lang} captions and voice`,
        120_000,
      );
      const translations = client.messages('caption').filter((c) => c.kind === 'translation');
      const hypothesis = translations.map((t) => t.text as string).join(' ');
      const reference = CLIPS.map((c) => refs.get(c)!.get(lang)!).join(' ');
      const score = chrF([{ hypothesis, reference }]);
      console.log(
        `${lang}: chrF ${score.toFixed(1)} over ${translations.length} segments\n  hyp: ${hypothesis.slice(0, 200)}\n  ref: ${reference.slice(0, 200)}`,
      );
      expect(score).toBeGreaterThan(CHRF_FLOOR[lang]!);

      // The voice: decode every packet of every segment; audible, and about as long as speech of that text.
      const decoder = new OpusPacketDecoder(24000);
      const pcm = decoder.decodeAll(client.received.audio.flatMap((p) => p.frames));
      decoder.close();
      const seconds = pcm.length / 24000;
      const words = hypothesis.split(/\s+/).length;
      expect(seconds).toBeGreaterThan(words * 0.15);
      expect(seconds).toBeLessThan(words * 1.5);
      expect(rmsDbfs(pcm)).toBeGreaterThan(-40);
      expect(client.received.audio.every((a) => a.language === lang)).toBe(true);
    }
    speaker.close();
    for (const l of Object.values(listeners)) l.close();
  }, 240_000);
});
