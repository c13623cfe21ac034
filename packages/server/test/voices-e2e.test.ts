/**
 * The better voices, as a listener hears them: with SVOX Pico installed (`babelcast setup --voices`;
 * `npm test` installs it), a Spanish listener of a real English recording receives Opus that
 * decodes to audible speech about as long as its words, spoken by Pico. Without Pico the same
 * server speaks with espeak-ng (packages/engine-voices tests that fallback).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpusPacketDecoder } from '@babelcast/codec-opus';
import { readWavFile, rmsDbfs } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import { encodeSpeakerAudioFrame, type LanguagesResponse } from '@babelcast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/server.ts';
import { connectListener, connectSpeaker, createSession } from './ws-client.ts';

let server: RunningServer;
let token: string;
beforeAll(async () => {
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    dataDir: mkdtempSync(join(tmpdir(), 'bc-voices-')),
  });
  token = await server.createApiToken('voices-e2e');
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe('better voices end to end', () => {
  it('says which voice serves each language', async () => {
    const languages = (await (await fetch(`${server.url}/api/languages`)).json()) as LanguagesResponse;
    expect(languages.voices?.es?.[0]).toBe('pico:es-ES');
    expect(languages.voices?.fr?.[0]).toBe('pico:fr-FR');
    expect(languages.voices?.es).toContain('espeak-ng');
    expect(languages.voices?.en?.[0]).toBe('rhvoice:slt');
    // Pico's English is an option, not a default (engines.voices.en.voice: "pico:en-GB").
    expect(languages.voices?.en?.some((v) => v.startsWith('pico'))).toBe(false);
    expect(languages.voices?.pt?.[0]).toBe('rhvoice:Leticia-F123');
  });

  it('a Spanish listener hears Pico: Opus that decodes to speech of plausible length', async () => {
    const id = await createSession(server.url, token);
    const listener = await connectListener(server.url, id, 'es');
    const speaker = await connectSpeaker(server.url, id, token);
    await speaker.until(() => speaker.messages('ready').length === 1, 'ready');
    const { samples } = readWavFile(speechClip('ljspeech-02.wav'));
    const padded = new Int16Array(samples.length + 24_000);
    padded.set(samples);
    let seq = 0;
    const started = Date.now();
    // At the pace of speech, so the voice keeps up without skipping.
    for (let at = 0; at < padded.length; at += 3200) {
      await new Promise((r) => setTimeout(r, Math.max(0, started + at / 16 - Date.now())));
      speaker.send(
        encodeSpeakerAudioFrame({
          seq: ++seq,
          captureTimeMs: Date.now(),
          samples: padded.slice(at, at + 3200),
        }),
      );
    }
    await speaker.until(() => speaker.messages('ack').some((a) => a.seq === seq), 'acks', 60_000);
    await fetch(`${server.url}/api/sessions/${id}/end`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    await listener.closedWith();
    speaker.close();

    const audio = listener.received.audio;
    expect(audio.length).toBeGreaterThan(0);
    expect(audio.every((p) => p.language === 'es')).toBe(true);
    const voiced = new Set(audio.map((a) => `${a.segmentId}:${a.mediaStartMs}:${a.mediaEndMs}`));
    const text = listener
      .messages('caption')
      .filter(
        (c) => c.kind === 'translation' && voiced.has(`${c.segmentId}:${c.mediaStartMs}:${c.mediaEndMs}`),
      )
      .map((c) => c.text as string)
      .join(' ');
    const words = text.split(/\s+/).filter(Boolean).length;
    expect(words).toBeGreaterThan(3);
    const decoder = new OpusPacketDecoder(24000);
    const pcm = decoder.decodeAll(audio.flatMap((p) => p.frames));
    decoder.close();
    const seconds = pcm.length / 24000;
    // Pico speaks Spanish at about 2.5–3.5 words a second; prosody and catch-up move it within
    // 0.85–1.4×, and trailing silences are trimmed.
    expect(seconds).toBeGreaterThan(words * 0.15);
    expect(seconds).toBeLessThan(words * 0.8 + 1);
    expect(rmsDbfs(pcm)).toBeGreaterThan(-35);
  }, 120_000);
});
