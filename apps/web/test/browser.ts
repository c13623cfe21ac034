/**
 * Headless Debian Chromium for the page tests, with a WAV file standing in for the microphone, and
 * what the tests do with its pages: open one, read the stats a page exposes, check accessibility.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import type { CaptionLine } from '../src/pages/shared/caption-model.ts';
import type { PlayerStats } from '../src/pages/listener/audio-player.ts';
import type { UplinkStats } from '../src/pages/speaker/audio-uplink.ts';

export const ARTIFACTS_DIR = resolve(import.meta.dirname, '../../../test-artifacts');

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(
  options: { microphoneWav?: string; extraArgs?: string[] } = {},
): Promise<LaunchedBrowser> {
  // Playwright adds --headless and a fresh temporary --user-data-dir itself.
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--autoplay-policy=no-user-gesture-required',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    ...(options.microphoneWav ? [`--use-file-for-fake-audio-capture=${options.microphoneWav}`] : []),
    ...(options.extraArgs ?? []),
  ];
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args,
    timeout: 60_000,
  });
  return { browser, close: () => browser.close() };
}

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; html: string; summary?: string }[];
}

/**
 * Runs axe-core in the page. It is evaluated through the DevTools protocol, not a <script> tag,
 * so the page's Content-Security-Policy stays enforced during the test.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    interface RawViolation {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: string[]; html: string; failureSummary?: string }[];
    }
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: RawViolation[] }> } }).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary })),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
}

/** Collects console errors and CSP violations, which a test can then require to be empty. */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  return errors;
}

/**
 * A new page in a context of its own (`options`: viewport, locale…), its errors collected as
 * watchPageErrors does, at `url`. With `speakerToken` the speaker page starts signed in with it.
 */
export async function openPage(
  browser: Browser,
  url: string,
  { speakerToken, ...options }: BrowserContextOptions & { speakerToken?: string } = {},
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage(options);
  const errors = watchPageErrors(page);
  if (speakerToken !== undefined)
    await page.addInitScript((token) => sessionStorage.setItem('babelcast.token', token), speakerToken);
  await page.goto(url);
  return { page, errors };
}

/** What the speaker page reports while it streams (window.__babelcast.speaker, SpeakerController.stats). */
export type SpeakerStats = UplinkStats & { framesCaptured: number; sessionId: string; state: string };

/** What the listener page reports (window.__babelcast.listener, see pages/listener/main.ts). */
export interface ListenerStats {
  status: string;
  language: string;
  voice: string | null;
  lastSeq: number;
  reconnects: number;
  lines: CaptionLine[];
  player: PlayerStats;
}

interface TestHooks {
  __babelcast: { speaker: { stats(): SpeakerStats }; listener: { stats(): ListenerStats } };
}

export const speakerStats = (page: Page): Promise<SpeakerStats> =>
  page.evaluate(() => (window as unknown as TestHooks).__babelcast.speaker.stats());

export const listenerStats = (page: Page): Promise<ListenerStats> =>
  page.evaluate(() => (window as unknown as TestHooks).__babelcast.listener.stats());
