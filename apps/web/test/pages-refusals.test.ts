/**
 * The pages against a stub server that refuses them as the hardened server does: a full node, a
 * rate limit, an old protocol, a language the session does not offer, too many languages at
 * creation, and audio refused because the session is paused.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedBrowser, launchChromium, openPage, screenshot, speakerStats } from './browser.ts';
import {
  PAUSED_AFTER_FRAMES,
  PAUSED_SESSION,
  REFUSING_SESSIONS,
  STUB_SPEAKER_TOKEN,
  type StubServer,
  startStubServer,
} from './stub-server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pages facing the server’s refusals (stub server)', () => {
  let server: StubServer;
  let chromium: LaunchedBrowser;

  beforeAll(async () => {
    server = await startStubServer();
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  const notice = (page: Page) => page.locator('#notice').textContent();
  /** A listener page joining `sessionId` in `lang`. */
  const join = (sessionId: string, lang: string) =>
    openPage(chromium.browser, `${server.url}/join/${sessionId}?lang=${lang}`);
  /** The speaker page, signed in, at `/speak` plus `query`. */
  const speak = (query = '') =>
    openPage(chromium.browser, `${server.url}/speak${query}`, { speakerToken: STUB_SPEAKER_TOKEN });

  it('a full server (4503): says so in the listener’s language and does not retry for a while', async () => {
    const { page } = await join(REFUSING_SESSIONS.full.id, 'es');
    await expect
      .poll(() => notice(page))
      .toBe('Este servidor está lleno ahora mismo; vuelve a intentarlo en un minuto.');
    await screenshot(page, 'listener-over-capacity');
    await sleep(3000);
    // The first retry comes after about 20 s: no reconnect loop against a full node.
    expect(server.listenerAttempts(REFUSING_SESSIONS.full.id)).toHaveLength(1);
    await page.close();
  });

  it('a rate limit (4429): says so and backs off before retrying', async () => {
    const { page } = await join(REFUSING_SESSIONS.rateLimited.id, 'fr');
    await expect
      .poll(() => notice(page))
      .toBe('Trop de connexions depuis ce réseau ; nouvel essai dans un instant.');
    await expect
      .poll(() => server.listenerAttempts(REFUSING_SESSIONS.rateLimited.id).length, { timeout: 8000 })
      .toBeGreaterThanOrEqual(2);
    const [first, second] = server.listenerAttempts(REFUSING_SESSIONS.rateLimited.id);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1400);
    await page.close();
  });

  it('an unsupported protocol (4426): asks for a reload and stops', async () => {
    const { page } = await join(REFUSING_SESSIONS.oldProtocol.id, 'de');
    await expect.poll(() => notice(page)).toBe('Diese Seite ist veraltet: Bitte laden Sie die Seite neu.');
    await sleep(1500);
    expect(server.listenerAttempts(REFUSING_SESSIONS.oldProtocol.id)).toHaveLength(1);
    await page.close();
  });

  it('a language the session does not offer (4422): says so, lists the offered ones, connects with the next pick', async () => {
    const { page, errors } = await join(REFUSING_SESSIONS.narrow.id, 'de');
    await expect.poll(() => notice(page)).toBe('Diese Sprache ist in dieser Sitzung nicht verfügbar.');
    const options = () =>
      page
        .locator('#language option:not([disabled])')
        .evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    await expect.poll(options).toEqual(['es', 'fr']);
    await page.selectOption('#language', 'fr');
    await expect.poll(() => page.locator('#live-indicator').textContent()).toBe('En direct');
    // The welcome carries only the offered languages: the list is exactly those.
    expect(await options()).toEqual(['es', 'fr']);
    expect(await notice(page)).toBe('');
    expect(server.listenerAttempts(REFUSING_SESSIONS.narrow.id).map((a) => a.targetLanguage)).toEqual([
      'de',
      'fr',
    ]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the speaker chooses the languages to offer, and sees the server refuse too many', async () => {
    const { page } = await speak();
    const boxes = page.locator('#target-languages input[type=checkbox]');
    await expect.poll(() => boxes.count()).toBe(3);
    expect(
      await boxes.evaluateAll((els) =>
        els.map((e) => [(e as HTMLInputElement).value, (e as HTMLInputElement).checked]),
      ),
    ).toEqual([
      ['es', true],
      ['fr', true],
      ['de', true],
    ]);
    // Fewer than all: the choice goes to the server, which refuses more than its limit.
    await page.uncheck('#target-de');
    await page.getByRole('button', { name: 'Create session' }).click();
    await expect
      .poll(() => page.getByRole('alert').first().textContent())
      .toBe('A session offers at most 1 target languages on this server.');
    expect(server.created.at(-1)).toMatchObject({ targetLanguages: ['es', 'fr'] });
    await screenshot(page, 'speaker-too-many-languages');
    await page.uncheck('#target-fr');
    await page.getByRole('button', { name: 'Create session' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('session')).toMatch(/^new-session-/);
    expect(server.created.at(-1)).toMatchObject({ sourceLanguage: 'en', targetLanguages: ['es'] });
    // All of them, untouched: the server's default (every served language up to its limit).
    await page.goto(`${server.url}/speak`);
    await expect.poll(() => boxes.count()).toBe(3);
    await page.getByRole('button', { name: 'Create session' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('session')).toMatch(/^new-session-/);
    expect(server.created.at(-1)).not.toHaveProperty('targetLanguages');
    await page.close();
  });

  it('audio refused because the session is paused: the backlog is dropped, not resent, and Resume continues without a gap', async () => {
    const { page, errors } = await speak(`?session=${PAUSED_SESSION.id}`);
    await page.getByRole('button', { name: 'Start' }).click();
    const resume = page.locator('#resume');
    await expect.poll(() => resume.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('#session-state').textContent()).toBe('Paused');
    expect(await page.locator('#speaker-alert').textContent()).toContain('The session is paused');
    const stats = () => speakerStats(page);
    expect(await stats()).toMatchObject({ unackedFrames: 0, refusedPaused: true });
    await screenshot(page, 'speaker-paused-refused');
    const receivedAtPause = server.pausedSpeaker.received.length;
    // Longer than the 6 s ack watchdog: nothing is redialled or resent while paused.
    await sleep(7500);
    expect(server.pausedSpeaker.received.length).toBe(receivedAtPause);
    expect(new Set(server.pausedSpeaker.received).size).toBe(receivedAtPause);
    expect((await stats()).reconnects).toBe(0);
    await resume.click();
    await expect
      .poll(() => server.pausedSpeaker.accepted.length, { timeout: 10_000 })
      .toBeGreaterThan(PAUSED_AFTER_FRAMES + 3);
    // Numbering continues right after the last acknowledged frame: no gap, nothing stale.
    const accepted = server.pausedSpeaker.accepted;
    expect(accepted.slice(0, PAUSED_AFTER_FRAMES + 3)).toEqual([...Array(PAUSED_AFTER_FRAMES + 3).keys()]);
    await expect.poll(() => page.locator('#session-state').textContent()).toBe('Live');
    expect(errors).toEqual([]);
    await page.close();
  });
});
