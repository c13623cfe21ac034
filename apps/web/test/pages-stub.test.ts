import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedBrowser, launchChromium, watchPageErrors } from './browser.ts';
import { STUB_SESSION, type StubServer, startStubServer } from './stub-server.ts';

interface PlayerStats {
  packets: number;
  decoded: number;
  scheduled: number;
  decoder: string | null;
  gapsInSentences: number;
  overlaps: number;
  peak: number;
}

const playerStats = (page: Page) =>
  page.evaluate(
    () =>
      (
        window as unknown as { __babelcast: { listener: { stats(): { player: PlayerStats } } } }
      ).__babelcast.listener.stats().player,
  );

describe('pages against a stub server (Opus audio, plain HTTP, labels)', () => {
  let server: StubServer;
  let chromium: LaunchedBrowser;

  beforeAll(async () => {
    server = await startStubServer();
    // babelcast.test is not localhost: a plain-HTTP origin there is not a secure context.
    chromium = await launchChromium({ extraArgs: ['--host-resolver-rules=MAP babelcast.test 127.0.0.1'] });
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  async function listen(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await chromium.browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(url);
    await page.click('#listen');
    await expect
      .poll(() => playerStats(page).then((s) => s.scheduled), { timeout: 15_000 })
      .toBeGreaterThan(150);
    return { page, errors };
  }

  it('decodes with WebCodecs on a secure origin and plays sentences without gaps or overlaps', async () => {
    const { page, errors } = await listen(`${server.url}/join/${STUB_SESSION.id}?lang=es`);
    const stats = await playerStats(page);
    expect(stats.decoder).toBe('webcodecs');
    expect(stats.decoded).toBeGreaterThan(150);
    expect(stats.peak).toBeGreaterThan(0.1);
    expect(stats.gapsInSentences).toBe(0);
    expect(stats.overlaps).toBe(0);
    await expect
      .poll(() => page.locator('.line:not(.draft)').first().textContent())
      .toContain('[es] sentence');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('falls back to the WASM decoder on plain HTTP, where WebCodecs is unavailable', async () => {
    const port = new URL(server.url).port;
    const { page, errors } = await listen(`http://babelcast.test:${port}/join/${STUB_SESSION.id}?lang=fr`);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
    const stats = await playerStats(page);
    expect(stats.decoder).toBe('wasm');
    expect(stats.peak).toBeGreaterThan(0.1);
    expect(stats.gapsInSentences).toBe(0);
    expect(stats.overlaps).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows its labels in the chosen language and switches without reloading', async () => {
    const page = await chromium.browser.newPage();
    await page.goto(`${server.url}/join/${STUB_SESSION.id}?lang=de`);
    await expect.poll(() => page.locator('#listen').textContent()).toBe('Zum Zuhören tippen');
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await page.evaluate(() => {
      (window as unknown as { __marker: number }).__marker = 1;
    });
    await page.selectOption('#language', 'fr');
    await expect.poll(() => page.locator('#listen').textContent()).toBe('Touchez pour écouter');
    expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(1);
    await page.close();
  });

  it('tells the speaker plainly that the microphone needs HTTPS on a plain-HTTP LAN address', async () => {
    const page = await chromium.browser.newPage();
    const port = new URL(server.url).port;
    await page.goto(`http://babelcast.test:${port}/speak`);
    await expect.poll(() => page.locator('#insecure').textContent()).toContain('HTTPS');
    await page.close();
  });

  it('tells the listener plainly when the session does not exist', async () => {
    const page = await chromium.browser.newPage({ locale: 'es-ES' });
    await page.goto(`${server.url}/join/no-such-000`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Esta sesión no existe');
    await page.close();
  });
});
