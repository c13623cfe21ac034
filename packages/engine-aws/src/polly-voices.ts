export type PollyVoiceEngine = 'neural' | 'standard';

export interface PollyVoice {
  /** Polly VoiceId. */
  voice: string;
  /** Polly LanguageCode; needed for bilingual voices (Kajal speaks en-IN and hi-IN). */
  languageCode: string;
  /** Neural where the voice has it: it costs 4× more but is far more natural. */
  engine: PollyVoiceEngine;
}

/**
 * One default voice per language, from the Amazon Polly developer guide's voice table
 * ("Available voices"): a neural voice wherever the language has one. Russian, Romanian,
 * Icelandic and Welsh have only standard voices. Polly has no Ukrainian or Vietnamese voice.
 * Override per language with the `voices` option, e.g. { en: { voice: 'Matthew', languageCode:
 * 'en-US', engine: 'neural' } }.
 */
export const DEFAULT_POLLY_VOICES: Readonly<Record<string, PollyVoice>> = {
  ar: { voice: 'Hala', languageCode: 'ar-AE', engine: 'neural' },
  ca: { voice: 'Arlet', languageCode: 'ca-ES', engine: 'neural' },
  cs: { voice: 'Jitka', languageCode: 'cs-CZ', engine: 'neural' },
  cy: { voice: 'Gwyneth', languageCode: 'cy-GB', engine: 'standard' },
  da: { voice: 'Sofie', languageCode: 'da-DK', engine: 'neural' },
  de: { voice: 'Vicki', languageCode: 'de-DE', engine: 'neural' },
  en: { voice: 'Joanna', languageCode: 'en-US', engine: 'neural' },
  es: { voice: 'Lucia', languageCode: 'es-ES', engine: 'neural' },
  fi: { voice: 'Suvi', languageCode: 'fi-FI', engine: 'neural' },
  fr: { voice: 'Lea', languageCode: 'fr-FR', engine: 'neural' },
  hi: { voice: 'Kajal', languageCode: 'hi-IN', engine: 'neural' },
  is: { voice: 'Dora', languageCode: 'is-IS', engine: 'standard' },
  it: { voice: 'Bianca', languageCode: 'it-IT', engine: 'neural' },
  ja: { voice: 'Takumi', languageCode: 'ja-JP', engine: 'neural' },
  ko: { voice: 'Seoyeon', languageCode: 'ko-KR', engine: 'neural' },
  nb: { voice: 'Ida', languageCode: 'nb-NO', engine: 'neural' },
  nl: { voice: 'Laura', languageCode: 'nl-NL', engine: 'neural' },
  no: { voice: 'Ida', languageCode: 'nb-NO', engine: 'neural' },
  pl: { voice: 'Ola', languageCode: 'pl-PL', engine: 'neural' },
  pt: { voice: 'Camila', languageCode: 'pt-BR', engine: 'neural' },
  ro: { voice: 'Carmen', languageCode: 'ro-RO', engine: 'standard' },
  ru: { voice: 'Tatyana', languageCode: 'ru-RU', engine: 'standard' },
  sv: { voice: 'Elin', languageCode: 'sv-SE', engine: 'neural' },
  tr: { voice: 'Burcu', languageCode: 'tr-TR', engine: 'neural' },
  zh: { voice: 'Zhiyu', languageCode: 'cmn-CN', engine: 'neural' },
};
