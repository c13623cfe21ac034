import { type CaptionEvent, type DraftEvent, ErrorCode, type NoticeMessage } from '@babelcast/protocol';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LaunchedBrowser,
  launchChromium,
  listenerStats,
  openPage,
  screenshot,
  seriousAxeViolations,
} from './browser.ts';
import {
  SCRIPTED_SESSION,
  STUB_SESSION,
  STUB_SPEAKER_TOKEN,
  STUB_VOICES,
  type StubServer,
  startStubServer,
} from './stub-server.ts';

const playerStats = (page: Page) => listenerStats(page).then((s) => s.player);

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

  /** A listener page joining `sessionId` in `lang`, on `origin` (the server's own by default). */
  const join = (sessionId: string, lang: string, origin = server.url) =>
    openPage(chromium.browser, `${origin}/join/${sessionId}?lang=${lang}`);

  /** A listener of STUB_SESSION who taps Listen, once more than 150 frames of voice are scheduled. */
  async function listen(lang: string, origin?: string): Promise<{ page: Page; errors: string[] }> {
    const { page, errors } = await join(STUB_SESSION.id, lang, origin);
    await page.click('#listen');
    await expect
      .poll(() => playerStats(page).then((s) => s.scheduled), { timeout: 15_000 })
      .toBeGreaterThan(150);
    return { page, errors };
  }

  it('decodes with WebCodecs on a secure origin and plays sentences without gaps or overlaps', async () => {
    const { page, errors } = await listen('es');
    const stats = await playerStats(page);
    expect(stats.decoder).toBe('webcodecs');
    expect(stats.decoded).toBeGreaterThan(150);
    expect(stats.peak).toBeGreaterThan(0.1);
    // Each segment is voiced in two chunks, the second after a silence: no gap inside a chunk,
    // no overlap anywhere, nothing skipped.
    expect(stats.gapsInChunks).toBe(0);
    expect(stats.overlaps).toBe(0);
    expect(stats.skippedChunks).toBe(0);
    await expect
      .poll(() => page.locator('.line:not(.draft)').first().textContent())
      .toContain('[es] sentence');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('falls back to the WASM decoder on plain HTTP, where WebCodecs is unavailable', async () => {
    const port = new URL(server.url).port;
    const { page, errors } = await listen('fr', `http://babelcast.test:${port}`);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
    const stats = await playerStats(page);
    expect(stats.decoder).toBe('wasm');
    expect(stats.peak).toBeGreaterThan(0.1);
    expect(stats.gapsInChunks).toBe(0);
    expect(stats.overlaps).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the draft tail in its own style, replaces it by the committed chunk, and announces committed text only', async () => {
    const { page, errors } = await join(SCRIPTED_SESSION.id, 'es');
    await page.click('#listen');
    await expect.poll(() => server.scriptedListeners()).toBe(1);
    // Everything any live region ever held, after every change to the page.
    await page.evaluate(() => {
      const heard: string[] = [];
      (window as unknown as { __heard: string[] }).__heard = heard;
      const live = '[aria-live], [role="status"], [role="alert"], [role="log"]';
      new MutationObserver(() => {
        for (const el of document.querySelectorAll(live)) heard.push(el.textContent ?? '');
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    const heard = () => page.evaluate(() => (window as unknown as { __heard: string[] }).__heard);
    const send = (message: CaptionEvent | DraftEvent | NoticeMessage) => server.sendScripted(message);
    const span = { mediaStartMs: 0, mediaEndMs: 1500, emittedAt: 0 };
    const caption = (seq: number, kind: CaptionEvent['kind'], text: string, segmentId = 1): CaptionEvent => ({
      type: 'caption',
      kind,
      seq,
      segmentId,
      lang: kind === 'translation' ? 'es' : 'en',
      text,
      ...span,
    });
    const draft = (seq: number, text: string): DraftEvent => ({
      type: 'draft',
      lang: 'es',
      segment: 1,
      segmentId: 1,
      seq,
      text,
      ...span,
    });
    const line = page.locator('.line[data-segment="1"]');
    const committedSpan = line.locator('.committed');
    const draftSpan = line.locator('.draft');
    const style = (el: typeof draftSpan) =>
      el.evaluate((e) => {
        const cs = getComputedStyle(e);
        return { color: cs.color, fontStyle: cs.fontStyle };
      });
    const uncommitted = ['when we arrived', 'cuando llegábamos', 'la estación seguía', 'OBSOLETO'];

    // The speaker's words, then a translated draft, stand in while nothing is committed.
    send(caption(1, 'partial', 'when we arrived'));
    await expect.poll(() => draftSpan.textContent()).toBe('when we arrived');
    expect(await draftSpan.getAttribute('lang')).toBe('en');
    send(draft(2, 'cuando llegábamos'));
    await expect.poll(() => draftSpan.textContent()).toBe('cuando llegábamos');
    expect(await draftSpan.getAttribute('lang')).toBe('es');
    expect(await line.getAttribute('class')).toContain('draft');

    // The first committed chunk replaces the draft it covered.
    send(caption(3, 'translation', 'Cuando llegamos,'));
    await expect.poll(() => committedSpan.textContent()).toBe('Cuando llegamos,');
    expect(await draftSpan.isHidden()).toBe(true);
    expect(await line.getAttribute('class')).not.toContain('draft');
    // Drafts must update the line's nodes in place, never re-create them.
    await page.evaluate(() => {
      const l = document.querySelector('.line[data-segment="1"]')!;
      (window as unknown as { __nodes: Node[] }).__nodes = [l, ...l.querySelectorAll('span')];
    });

    // Committed text and draft tail on one line, in two visibly different styles.
    send(draft(4, 'la estación seguía'));
    await expect.poll(() => draftSpan.textContent()).toBe(' la estación seguía');
    expect(await line.textContent()).toBe('Cuando llegamos, la estación seguía');
    expect(await draftSpan.getAttribute('aria-hidden')).toBe('true');
    const [committedLook, draftLook] = [await style(committedSpan), await style(draftSpan)];
    expect(draftLook.fontStyle).toBe('italic');
    expect(committedLook.fontStyle).toBe('normal');
    expect(draftLook.color).not.toBe(committedLook.color);
    // Both themes: the draft's dimmer colour must still pass axe's contrast check.
    for (let i = 0; i < 2; i++) {
      const theme = await page.getAttribute('html', 'data-theme');
      expect(await seriousAxeViolations(page)).toEqual([]);
      expect((await style(draftSpan)).color).not.toBe((await style(committedSpan)).color);
      await screenshot(page, `listener-draft-tail-${theme}`);
      await page.click('#theme');
    }

    // The next chunk commits; a draft older than it arriving late must not come back.
    send(caption(5, 'translation', 'la estación estaba cerrada.'));
    send(draft(4, 'OBSOLETO'));
    send(caption(6, 'partial', 'the next sentence', 2));
    await expect.poll(() => page.locator('.line[data-segment="2"]').textContent()).toBe('the next sentence');
    expect(await line.textContent()).toBe('Cuando llegamos, la estación estaba cerrada.');
    expect(await draftSpan.isHidden()).toBe(true);
    const sameNodes = await page.evaluate(() => {
      const l = document.querySelector('.line[data-segment="1"]')!;
      const now = [l, ...l.querySelectorAll('span')];
      const before = (window as unknown as { __nodes: Node[] }).__nodes;
      return now.length === before.length && now.every((n, i) => n === before[i]);
    });
    expect(sameNodes).toBe(true);

    // Screen readers got each committed chunk once, and never a word that was still a draft.
    const announced = await page.locator('#announcer').textContent();
    expect(announced).toContain('Cuando llegamos,');
    expect(announced).toContain('la estación estaba cerrada.');
    const everHeard = await heard();
    expect(everHeard.length).toBeGreaterThan(0);
    for (const text of uncommitted) expect(everHeard.filter((h) => h.includes(text))).toEqual([]);

    // Skipping ahead is said briefly and calmly, not as an alert.
    send({ type: 'notice', code: ErrorCode.VOICE_SKIPPED, message: 'voice skipped ahead', lang: 'es' });
    await expect
      .poll(() => page.locator('#voice-notice').textContent())
      .toBe('La voz ha saltado adelante para no quedarse atrás.');
    expect(await page.locator('#voice-notice').getAttribute('role')).toBe('status');
    await screenshot(page, 'listener-voice-skipped');
    expect(await page.locator('#notice').textContent()).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the speaker how far each language’s text and voice are behind', async () => {
    const { page, errors } = await openPage(
      chromium.browser,
      `${server.url}/speak?session=${STUB_SESSION.id}`,
      {
        speakerToken: STUB_SPEAKER_TOKEN,
      },
    );
    await page.getByRole('button', { name: 'Start' }).click();
    const cell = (lang: string, column: string) =>
      page.locator(`tr[data-lang="${lang}"] td.${column}`).textContent();
    // The stub reports es, then fr, then es's voice again: each message carries what changed.
    await expect.poll(() => cell('es', 'voice-lag')).toBe('2.9 s');
    expect(await cell('es', 'text-lag')).toBe('1.8 s');
    expect(await cell('fr', 'text-lag')).toBe('1.2 s');
    expect(await cell('fr', 'voice-lag')).toBe('—');
    expect(await cell('de', 'text-lag')).toBe('—');
    expect(await page.locator('thead th').allTextContents()).toEqual([
      'Language',
      'Listeners',
      'Behind the speaker',
      'Text',
      'Voice',
    ]);
    expect(await seriousAxeViolations(page)).toEqual([]);
    // The table fits its card on a laptop screen: nothing sticks out to the right.
    const overflow = await page
      .locator('table.listeners')
      .evaluate((t) => t.getBoundingClientRect().right - t.parentElement!.getBoundingClientRect().right);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'speaker-lag-table');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows its labels in the chosen language and switches without reloading', async () => {
    const { page } = await join(STUB_SESSION.id, 'de');
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

  it('offers a choice of voice where the language has several, labelled, and sends the choice', async () => {
    const { page, errors } = await join(SCRIPTED_SESSION.id, 'es');
    await expect.poll(() => server.scriptedListeners()).toBe(1);
    // Spanish has two voices (STUB_VOICES): the picker shows, labelled in the reader's language.
    await expect.poll(() => page.locator('#voice').isVisible()).toBe(true);
    expect(await page.locator('label[for="voice"]').textContent()).toBe('Voz');
    expect(
      await page.locator('#voice option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)),
    ).toEqual(STUB_VOICES.es);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.selectOption('#voice', 'espeak-ng:es');
    await expect
      .poll(() => server.scriptedReceived.filter((m) => m.type === 'setLanguage'))
      .toEqual([{ type: 'setLanguage', targetLanguage: 'es', voice: 'espeak-ng:es' }]);
    server.sendScripted({ type: 'languageChanged', targetLanguage: 'es', voice: 'espeak-ng:es' });
    await expect.poll(() => page.locator('#voice').inputValue()).toBe('espeak-ng:es');
    // French has one voice: no picker. Back to Spanish, the remembered voice is asked for again.
    await page.selectOption('#language', 'fr');
    await expect.poll(() => page.locator('#voice-field').isHidden()).toBe(true);
    server.sendScripted({ type: 'languageChanged', targetLanguage: 'fr', voice: 'espeak-ng:fr' });
    await page.selectOption('#language', 'es');
    await expect
      .poll(() => server.scriptedReceived.filter((m) => m.type === 'setLanguage').at(-1))
      .toEqual({ type: 'setLanguage', targetLanguage: 'es', voice: 'espeak-ng:es' });
    await expect.poll(() => page.locator('#voice').isVisible()).toBe(true);
    // Remembered for the next visit, as the language is: the page connects with it.
    await page.reload();
    await expect.poll(() => server.listenerAttempts(SCRIPTED_SESSION.id).at(-1)?.voice).toBe('espeak-ng:es');
    await expect.poll(() => page.locator('#voice').inputValue()).toBe('espeak-ng:es');
    await screenshot(page, 'listener-voice-picker');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows no voice picker for a language with one voice or none', async () => {
    const { page } = await join(SCRIPTED_SESSION.id, 'de');
    await expect.poll(() => page.locator('#listen').textContent()).toBe('Zum Zuhören tippen');
    expect(await page.locator('#voice-field').isHidden()).toBe(true);
    await page.close();
  });

  it('tells the speaker plainly that the microphone needs HTTPS on a plain-HTTP LAN address', async () => {
    const port = new URL(server.url).port;
    const { page } = await openPage(chromium.browser, `http://babelcast.test:${port}/speak`);
    await expect.poll(() => page.locator('#insecure').textContent()).toContain('HTTPS');
    await page.close();
  });

  it('tells the listener plainly when the session does not exist', async () => {
    const { page } = await openPage(chromium.browser, `${server.url}/join/no-such-000`, { locale: 'es-ES' });
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Esta sesión no existe');
    await page.close();
  });
});
