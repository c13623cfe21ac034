/**
 * The whole flow as a new user gets it, in Chromium, with the embedded engines (Silero VAD,
 * pocketsphinx, Apertium, espeak-ng, Opus): the speaker page's microphone is a real English
 * recording; a phone-sized listener page in Spanish must show Spanish sentences and play voice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { speechClip } from '@babelcast/core/testing';
import { type RunningServer, startServer } from '@babelcast/server';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedBrowser, launchChromium, screenshot, watchPageErrors } from './browser.ts';

interface ListenerStats {
  lines: { segmentId: number; text: string; draft: boolean }[];
  player: { scheduled: number; overlaps: number; peak: number; decoder: string | null };
}
const listenerStats = (page: Page) =>
  page.evaluate(() =>
    (
      window as unknown as { __babelcast: { listener: { stats(): ListenerStats } } }
    ).__babelcast.listener.stats(),
  );

describe('pages with the embedded engines', () => {
  let dataDir: string;
  let server: RunningServer;
  let chromium: LaunchedBrowser;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'babelcast-web-embedded-'));
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      dataDir,
      engines: 'embedded',
    });
    // LJSpeech: a clear reader, so pocketsphinx gets most words and Apertium has real sentences.
    chromium = await launchChromium({ microphoneWav: speechClip('long-en-01.wav') });
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a Spanish listener reads Spanish captions and hears Spanish voice', async () => {
    const token = await server.createApiToken('embedded-web');
    const speaker = await (
      await chromium.browser.newContext({ viewport: { width: 1280, height: 900 } })
    ).newPage();
    const speakerErrors = watchPageErrors(speaker);
    await speaker.goto(`${server.url}/speak`);
    await speaker.getByLabel('Speaker token').fill(token);
    await speaker.getByRole('button', { name: 'Sign in' }).click();
    await speaker.getByLabel('Language you will speak').selectOption('en');
    await speaker.getByRole('button', { name: 'Create session' }).click();
    await expect.poll(() => new URL(speaker.url()).searchParams.get('session')).toBeTruthy();
    const sessionId = new URL(speaker.url()).searchParams.get('session')!;

    const context = await chromium.browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const es = await context.newPage();
    const listenerErrors = watchPageErrors(es);
    await es.goto(`${server.url}/join/${sessionId}?lang=es`);
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
