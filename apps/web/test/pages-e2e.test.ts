/**
 * The whole flow in Chromium against a real server with the deterministic fake engines: a speaker
 * page whose microphone is a real speech recording, and two listener pages in two languages.
 */
import { speechClip } from '@babelcast/core/testing';
import type { SpeakerAudioFrame } from '@babelcast/protocol';
import type { RunningServer } from '@babelcast/server';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LaunchedBrowser,
  type ListenerStats,
  launchChromium,
  listenerStats,
  screenshot,
  seriousAxeViolations,
  speakerStats,
  watchPageErrors,
} from './browser.ts';
import { startRealServer } from './real-server.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

const finalSegments = (s: ListenerStats) => s.lines.filter((l) => !l.draft).map((l) => l.segmentId);

describe('speaker and listener pages in Chromium', () => {
  let server: RunningServer;
  let speakerLink: TcpProxy;
  let esLink: TcpProxy;
  let chromium: LaunchedBrowser;
  let token: string;
  const contexts: BrowserContext[] = [];
  let speaker: Page;
  let es: Page;
  let fr: Page;
  let sessionId = '';
  /** Every audio seq the server's session received, duplicates included, in arrival order. */
  const received: number[] = [];
  const pageErrors: string[][] = [];

  beforeAll(async () => {
    // Deterministic fake recogniser/translator/voice, but real Opus: what phones decode.
    server = await startRealServer({ preset: 'fake', codec: 'opus' });
    token = await server.createApiToken('web-test');
    const target = { host: '127.0.0.1', port: server.port };
    speakerLink = await startTcpProxy(target);
    esLink = await startTcpProxy(target);
    chromium = await launchChromium({ microphoneWav: speechClip('fleurs-en-01.wav') });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await chromium?.close();
    await speakerLink?.close();
    await esLink?.close();
    await server?.close();
  });

  async function newPage(
    options: Parameters<LaunchedBrowser['browser']['newContext']>[0] = {},
  ): Promise<Page> {
    const context = await chromium.browser.newContext(options);
    contexts.push(context);
    const page = await context.newPage();
    pageErrors.push(watchPageErrors(page));
    return page;
  }

  it('signs the speaker in and creates a session with a join link and QR code', async () => {
    speaker = await newPage({ viewport: { width: 1280, height: 900 } });
    await speaker.goto(`${speakerLink.url}/speak`);
    expect(await seriousAxeViolations(speaker)).toEqual([]);
    await speaker.getByLabel('Speaker token').fill('not-a-token');
    await speaker.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => speaker.getByRole('alert').textContent()).toContain('not accepted');
    await speaker.getByLabel('Speaker token').fill(token);
    await speaker.getByRole('button', { name: 'Sign in' }).click();
    await speaker.getByLabel('Language you will speak').selectOption('en');
    await speaker.getByLabel('Title (optional)').fill('Browser test talk');
    await speaker.getByRole('button', { name: 'Create session' }).click();
    const joinUrl = await speaker.locator('#join-url').textContent();
    sessionId = new URL(speaker.url()).searchParams.get('session') ?? '';
    expect(joinUrl).toBe(`${server.url}/join/${sessionId}`);
    await expect.poll(() => speaker.locator('.qr svg').count()).toBe(1);

    // Record what the server receives, to check later that the outage left no gap.
    const live = await server.sessions.require(sessionId);
    const accept = live.acceptAudio.bind(live);
    live.acceptAudio = (frame: SpeakerAudioFrame) => {
      received.push(frame.seq);
      return accept(frame);
    };
  });

  it('streams to listeners in two languages, who see captions and receive audio', async () => {
    es = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    fr = await newPage({ viewport: { width: 1024, height: 768 } });
    await es.goto(`${esLink.url}/join/${sessionId}?lang=es`);
    await fr.goto(`${server.url}/join/${sessionId}?lang=fr`);
    await es.locator('#listen').tap();
    await fr.locator('#listen').click();
    expect(await es.locator('#listen').isHidden()).toBe(true);

    await speaker.getByRole('button', { name: 'Start' }).click();
    await expect
      .poll(() => speaker.locator('tr[data-lang="es"] .count').textContent(), { timeout: 10_000 })
      .toBe('1');
    await expect.poll(() => speaker.locator('tr[data-lang="fr"] .count').textContent()).toBe('1');
    await expect.poll(() => speaker.locator('#listeners-total').textContent()).toBe('2 listeners');

    // The fake translator prefixes "[es] ", so a line proves it is the translation for this page.
    for (const [page, lang] of [
      [es, 'es'],
      [fr, 'fr'],
    ] as const) {
      await expect
        .poll(() => page.locator('.line:not(.draft)').first().textContent(), { timeout: 30_000 })
        .toMatch(new RegExp(`^\\[${lang}\\] \\w+`));
      await expect
        .poll(() => listenerStats(page).then((s) => s.player.scheduled), { timeout: 20_000 })
        .toBeGreaterThan(0);
      const stats = await listenerStats(page);
      expect(stats.player.decoder).toBe('webcodecs');
      // The fake voice is a loud tone: silence here would mean decoding produced nothing.
      expect(stats.player.peak).toBeGreaterThan(0.05);
      expect(stats.player.overlaps).toBe(0);
    }
    // In simultaneous mode translated chunks come before the sentence's final: give it time.
    await expect
      .poll(() => speaker.locator('#transcript li:not(#partial)').count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await expect.poll(() => speaker.locator('tr[data-lang="es"] td.text-lag').textContent()).toMatch(/ s$/);

    expect(await speaker.locator('#speaker-alert').textContent()).toBe('');
    // The meter shows the recording's level, and a clean studio recording raises no warning.
    expect(await speaker.locator('#level-text').textContent()).toMatch(/^-\d+ dBFS$/);
    expect(await speaker.locator('#warnings li').count()).toBe(0);
    // Screen readers get finished sentences, in the listener's language.
    expect(await es.locator('#announcer').textContent()).toMatch(/^\[es\] /);

    await screenshot(speaker, 'speaker-live');
    await screenshot(es, 'listener-es-phone');
    await screenshot(fr, 'listener-fr');
  });

  it('has no serious or critical accessibility violations on either page', async () => {
    expect(await seriousAxeViolations(speaker)).toEqual([]);
    expect(await seriousAxeViolations(es)).toEqual([]);
    await fr.getByRole('button', { name: 'Mode sombre' }).click();
    expect(await seriousAxeViolations(fr)).toEqual([]);
    await screenshot(fr, 'listener-fr-dark');
    await speaker.emulateMedia({ colorScheme: 'dark' });
    expect(await seriousAxeViolations(speaker)).toEqual([]);
    await screenshot(speaker, 'speaker-live-dark');
    await speaker.emulateMedia({ colorScheme: 'light' });
  });

  it('loses no audio when the speaker’s connection is cut mid-sentence', async () => {
    const before = await speakerStats(speaker);
    expect(before.status).toBe('open');
    speakerLink.cut();
    // The microphone keeps running for 2.5 s while the page cannot reach the server.
    await new Promise((r) => setTimeout(r, 2500));
    const during = await speakerStats(speaker);
    expect(during.status).not.toBe('open');
    expect(during.unackedFrames).toBeGreaterThanOrEqual(10);
    await expect.poll(() => speaker.locator('#connection').textContent()).toMatch(/Reconnecting/);
    speakerLink.restore();

    await expect
      .poll(
        async () => {
          const s = await speakerStats(speaker);
          return s.status === 'open' && s.lastAck !== null && s.lastAck >= during.nextSeq - 1;
        },
        { timeout: 20_000 },
      )
      .toBe(true);
    const after = await speakerStats(speaker);
    expect(after.reconnects).toBeGreaterThanOrEqual(1);
    expect(after.resentFrames).toBeGreaterThanOrEqual(10);

    const unique = [...new Set(received)].sort((a, b) => a - b);
    expect(unique[0]).toBe(0);
    const missing = unique.filter((seq, i) => i > 0 && seq !== unique[i - 1]! + 1);
    expect(missing).toEqual([]);
    expect(unique.at(-1)).toBeGreaterThanOrEqual(after.lastAck!);
  });

  // The page asks for everything after the last seq it saw. Sentences finished during the outage
  // come back in the source language; whether they come back translated is up to the server,
  // which (for now) stops translating a language the moment its last listener disconnects.
  it('shows a listener the captions it missed while its connection was down', async () => {
    esLink.cut();
    const cutAt = (await listenerStats(fr)).lastSeq;
    // Wait until at least one new sentence has been translated while the es page is offline.
    await expect
      .poll(async () => finalSegments(await listenerStats(fr)).length, { timeout: 30_000 })
      .toBeGreaterThan(finalSegments(await listenerStats(es)).length);
    expect((await listenerStats(fr)).lastSeq).toBeGreaterThan(cutAt);
    esLink.restore();
    await expect.poll(() => listenerStats(es).then((s) => s.status), { timeout: 15_000 }).toBe('open');
    const frSegments = finalSegments(await listenerStats(fr));
    await expect
      .poll(async () => {
        const esStats = await listenerStats(es);
        const have = new Set(esStats.lines.map((l) => l.segmentId));
        const missing = frSegments.filter((id) => !have.has(id));
        return missing.length ? { missing, es: esStats.lines, fr: (await listenerStats(fr)).lines } : [];
      })
      .toEqual([]);
    const esStats = await listenerStats(es);
    for (const line of esStats.lines) if (!line.draft) expect(line.text).toMatch(/^\[es\] /);
    expect(esStats.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('pauses and resumes, and listeners see it', async () => {
    await speaker.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => es.locator('#live-indicator').textContent()).toBe('En pausa');
    await expect.poll(() => speaker.locator('#session-state').textContent()).toBe('Paused');
    await speaker.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => es.locator('#live-indicator').textContent()).toBe('En directo');
  });

  it('lets a listener enlarge the captions', async () => {
    const size = () =>
      es
        .locator('.line')
        .first()
        .evaluate((el) => Number.parseFloat(getComputedStyle(el).fontSize));
    const before = await size();
    await es.getByRole('button', { name: 'Texto más grande' }).tap();
    expect(await size()).toBeGreaterThan(before);
  });

  it('switches a listener’s language without reloading', async () => {
    await fr.evaluate(() => {
      (window as unknown as { __stay: boolean }).__stay = true;
    });
    await fr.selectOption('#language', 'pt');
    await expect.poll(() => fr.locator('.line:not(.draft)').first().textContent()).toMatch(/^\[pt\] /);
    expect(await fr.evaluate(() => (window as unknown as { __stay?: boolean }).__stay)).toBe(true);
    expect(await fr.getAttribute('html', 'lang')).toBe('pt');
  });

  it('ends the session for everyone', async () => {
    await speaker.getByRole('button', { name: 'End session' }).click();
    await speaker.getByRole('button', { name: 'Yes, end it for everyone' }).click();
    await expect.poll(() => speaker.locator('#session-state').textContent()).toBe('Ended');
    await expect.poll(() => es.locator('#live-indicator').textContent()).toBe('La sesión ha terminado');
    await screenshot(es, 'listener-es-ended');
    // Failed connection attempts during the deliberate outages, and the refused wrong token, are expected.
    const expected = /WebSocket connection to .* failed|status of 401/;
    expect(pageErrors.flat().filter((e) => !expected.test(e))).toEqual([]);
  });
});
