/** HTTP request bodies and response shapes. */
import { z } from 'zod';
import { languageCode } from './messages.ts';

export const createSessionBody = z.object({
  sourceLanguage: languageCode,
  title: z.string().trim().min(1).max(200).optional(),
  /**
   * Target languages to offer listeners (each must be served for the source language; at most
   * `limits.maxLanguagesPerSession`, not counting the source). Default: the server's choice.
   */
  targetLanguages: z.array(languageCode).min(1).max(200).optional(),
});
export type CreateSessionBody = z.infer<typeof createSessionBody>;

export const transcriptFormat = z.enum(['srt', 'vtt', 'txt', 'json']);
export type TranscriptFormat = z.infer<typeof transcriptFormat>;

export interface LanguagePairInfo {
  source: string;
  target: string;
  /** True when a TTS voice exists for the target language (captions are always available). */
  voice: boolean;
  /** Engine chain serving the pair, e.g. "apertium:en-es" or "apertium:en-es-fr (pivot)". */
  via: string;
}
export interface LanguagesResponse {
  /** Source languages the configured ASR engine recognises. */
  sources: string[];
  pairs: LanguagePairInfo[];
  /** Names of every language code appearing above, in English and in the language itself. */
  names: Record<string, { name: string; native: string }>;
  /**
   * Voices per language, the one that speaks first (e.g. `pico:es-ES`, `rhvoice:slt`), then the
   * others a listener could be offered (`espeak-ng` is the fallback).
   */
  voices?: Record<string, string[]>;
  /** What a speaker may ask for when creating a session (always sent by this server). */
  limits?: { maxLanguagesPerSession: number };
}

export interface HttpErrorBody {
  error: { code: string; message: string; details?: unknown };
}
