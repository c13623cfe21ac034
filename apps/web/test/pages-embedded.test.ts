/**
 * The whole flow as a new user gets it, in Chromium, with the embedded engines (Silero VAD,
 * pocketsphinx, Apertium, espeak-ng, Opus): the speaker page's microphone is a real English
 * recording; a phone-sized listener page in Spanish must show Spanish sentences and play voice.
 */
import { speechClip } from '@babelcast/core/testing';
import type { RunningServer } from '@babelcast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedBrowser, launchChromium, listenerStats, openPage, screenshot } from './browser.ts';
import { startRealServer } from './real-server.ts';

describe('pages with the embedded engines', () => {
  let server: RunningServer;
  let chromium: LaunchedBrowser;

  beforeAll(async () => {
    server = await startRealServer('embedded');
    // LJSpeech: a clear reader, so pocketsphinx gets most words and Apertium has real sentences.
    chromium = await launchChromium({ microphoneWav: speechClip('long-en-01.wav') });
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  it('a Spanish listener reads Spanish captions and hears Spanish voice', async () => {
    const token = await server.createApiToken('embedded-web');
    const { page: speaker, errors: speakerErrors } = await openPage(chromium.browser, `${server.url}/speak`, {
      viewport: { width: 1280, height: 900 },
    });
    await speaker.getByLabel('Speaker token').fill(token);
    await speaker.getByRole('button', { name: 'Sign in' }).click();
    await speaker.getByLabel('Language you will speak').selectOption('en');
    await speaker.getByRole('button', { name: 'Create session' }).click();
    await expect.poll(() => new URL(speaker.url()).searchParams.get('session')).toBeTruthy();
    const sessionId = new URL(speaker.url()).searchParams.get('session')!;

    const { page: es, errors: listenerErrors } = await openPage(
      chromium.browser,
      `${server.url}/join/${sessionId}?lang=es`,
      { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
    );
    await es.locator('#listen').tap();
    await speaker.getByRole('button', { name: 'Start' }).click();

    // Spanish function words in a finished line: a real translation, not the English source.
    await expect
      .poll(
        async () =>
          (await listenerStats(es)).lines
            .filter((l) => !l.draft)
            .map((l) => l.text)
            .join(' '),
        {
          timeout: 60_000,
        },
      )
      .toMatch(/\b(el|la|los|las|de|que|en|y)\b/i);
    await expect
      .poll(() => listenerStats(es).then((s) => s.player.scheduled), { timeout: 30_000 })
      .toBeGreaterThan(0);
    const stats = await listenerStats(es);
    expect(stats.player.peak).toBeGreaterThan(0.05);
    expect(stats.player.overlaps).toBe(0);
    // The speaker sees what the recogniser heard: English words.
    await expect
      .poll(() => speaker.locator('#transcript li:not(#partial)').first().textContent(), { timeout: 30_000 })
      .toMatch(/\b(the|of|and|in|a)\b/i);
    await screenshot(speaker, 'embedded-speaker');
    await screenshot(es, 'embedded-listener-es');
    expect(speakerErrors).toEqual([]);
    expect(listenerErrors).toEqual([]);
  }, 180_000);
});
