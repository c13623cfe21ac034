/**
 * Which voices a language offers a listener, and how a listener's choice becomes a voice track:
 * the gateway checks a listener's choice with it, the worker checks the demand with it again, so
 * only voices the voice engine offers for the language ever cost anything.
 */
import { DEFAULT_VOICE_ID } from '../bus/subjects.ts';
import type { TtsEngine } from '../engines/tts.ts';

/** The voices of a language, its default first; [] when it has none or its engine names none. */
export function offeredVoices(tts: TtsEngine, language: string): string[] {
  if (!tts.capabilities.languages.includes(language)) return [];
  return tts.voicesFor?.(language) ?? [];
}

/**
 * The track a listener's voice is spoken by: DEFAULT_VOICE_ID for no choice or the default voice
 * itself (so both share one track), the voice's id for another offered voice, null for a voice
 * the language does not offer.
 */
export function voiceTrackId(offered: readonly string[], voice: string | undefined): string | null {
  if (voice === undefined || voice === DEFAULT_VOICE_ID || voice === offered[0]) return DEFAULT_VOICE_ID;
  return offered.includes(voice) ? voice : null;
}
