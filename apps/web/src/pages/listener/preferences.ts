/**
 * The reader's own choices, kept in localStorage for the next visit: language, voice per
 * language, caption size and theme. Private browsing may refuse storage; preferences then last for this visit only.
 */
import { h } from '../shared/dom.ts';
import type { Dictionary } from '../shared/i18n.ts';

export const LANG_KEY = 'babelcast.listener.lang';
/** `{ "es": "pico:es-ES" }`: the voice chosen per language. */
export const VOICES_KEY = 'babelcast.listener.voices';
const SIZE_KEY = 'babelcast.listener.size';
const THEME_KEY = 'babelcast.listener.theme';
const FONT_SIZES = [1.25, 1.5, 1.75, 2, 2.5, 3, 3.75, 4.5];
const DEFAULT_SIZE_INDEX = 3;

export function stored(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function store(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Refused: the preference lasts for this visit only.
  }
}

/** The remembered voice per language (see ListenerDeps.voicePreference). */
export const voicePreference = {
  get(language: string): string | null {
    const voice = readVoices()[language];
    return typeof voice === 'string' ? voice : null;
  },
  set(language: string, voice: string): void {
    store(VOICES_KEY, JSON.stringify({ ...readVoices(), [language]: voice }));
  },
};

function readVoices(): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(stored(VOICES_KEY) ?? '{}');
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

export interface LookControls {
  /** The A−/A+ group and the theme button. */
  readonly elements: HTMLElement[];
  setLabels(t: Dictionary): void;
}

/** Caption size and dark mode: applied to the document at once and remembered. */
export function lookControls(): LookControls {
  let sizeIndex = Number(stored(SIZE_KEY) ?? DEFAULT_SIZE_INDEX);
  if (!Number.isInteger(sizeIndex) || sizeIndex < 0 || sizeIndex >= FONT_SIZES.length)
    sizeIndex = DEFAULT_SIZE_INDEX;
  const preferLight = matchMedia('(prefers-color-scheme: light)').matches;
  let dark = (stored(THEME_KEY) ?? (preferLight ? 'light' : 'dark')) === 'dark';
  // The visible "A−"/"A+" is a glyph; the accessible name is the translated words beside it.
  const smallerName = h('span', { className: 'visually-hidden' });
  const largerName = h('span', { className: 'visually-hidden' });
  const glyph = (text: string) => h('span', { 'aria-hidden': 'true' }, text);
  const smaller = h('button', { type: 'button', id: 'smaller' }, glyph('A−'), smallerName);
  const larger = h('button', { type: 'button', id: 'larger' }, glyph('A+'), largerName);
  const theme = h('button', { type: 'button', id: 'theme' });
  function apply(): void {
    document.documentElement.dataset.theme = dark ? 'dark' : 'light';
    theme.setAttribute('aria-pressed', String(dark));
    document.documentElement.style.setProperty('--caption-size', `${FONT_SIZES[sizeIndex]}rem`);
    smaller.disabled = sizeIndex === 0;
    larger.disabled = sizeIndex === FONT_SIZES.length - 1;
  }
  function resize(step: number): void {
    sizeIndex = Math.min(FONT_SIZES.length - 1, Math.max(0, sizeIndex + step));
    store(SIZE_KEY, String(sizeIndex));
    apply();
  }
  smaller.addEventListener('click', () => resize(-1));
  larger.addEventListener('click', () => resize(1));
  theme.addEventListener('click', () => {
    dark = !dark;
    store(THEME_KEY, dark ? 'dark' : 'light');
    apply();
  });
  apply();
  return {
    elements: [h('div', { className: 'group' }, smaller, larger), theme],
    setLabels(t) {
      smallerName.textContent = t.smaller;
      largerName.textContent = t.larger;
      theme.textContent = t.darkMode;
    },
  };
}
