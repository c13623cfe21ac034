/**
 * Languages Babelcast knows about (ISO 639-1), each with its name in its own language, as the
 * listener's language picker shows it. Whether a language is *served* depends on the engines;
 * see `GET /api/languages`.
 */
export const LANGUAGES = {
  en: { name: 'English', native: 'English' },
  es: { name: 'Spanish', native: 'Español' },
  fr: { name: 'French', native: 'Français' },
  pt: { name: 'Portuguese', native: 'Português' },
  it: { name: 'Italian', native: 'Italiano' },
  ca: { name: 'Catalan', native: 'Català' },
  gl: { name: 'Galician', native: 'Galego' },
  oc: { name: 'Occitan', native: 'Occitan' },
  an: { name: 'Aragonese', native: 'Aragonés' },
  ast: { name: 'Asturian', native: 'Asturianu' },
  eu: { name: 'Basque', native: 'Euskara' },
  de: { name: 'German', native: 'Deutsch' },
  nl: { name: 'Dutch', native: 'Nederlands' },
  eo: { name: 'Esperanto', native: 'Esperanto' },
  ro: { name: 'Romanian', native: 'Română' },
  pl: { name: 'Polish', native: 'Polski' },
  ru: { name: 'Russian', native: 'Русский' },
  uk: { name: 'Ukrainian', native: 'Українська' },
  zh: { name: 'Chinese', native: '中文' },
  ja: { name: 'Japanese', native: '日本語' },
  ko: { name: 'Korean', native: '한국어' },
  ar: { name: 'Arabic', native: 'العربية' },
  hi: { name: 'Hindi', native: 'हिन्दी' },
  tr: { name: 'Turkish', native: 'Türkçe' },
  vi: { name: 'Vietnamese', native: 'Tiếng Việt' },
} as const;

export type LanguageCode = keyof typeof LANGUAGES;

export function isKnownLanguage(code: string): code is LanguageCode {
  return Object.hasOwn(LANGUAGES, code);
}
