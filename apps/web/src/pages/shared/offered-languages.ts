/** Which target languages a speaker may offer when creating a session (DOM-free, unit-tested). */
import type { LanguagesResponse } from '@babelcast/protocol';

/** Target languages the engines serve for `source`, in the server's order, without duplicates. */
export function targetsFor(languages: LanguagesResponse, source: string): string[] {
  const served = languages.pairs
    .filter((p) => p.source === source && p.target !== source)
    .map((p) => p.target);
  return [...new Set(served)];
}

/**
 * `limits.maxLanguagesPerSession` when GET /api/languages tells it; otherwise null, and the
 * server's validation error at creation says so.
 */
export function maxLanguagesPerSession(languages: LanguagesResponse): number | null {
  const n = (languages as { limits?: { maxLanguagesPerSession?: unknown } }).limits?.maxLanguagesPerSession;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : null;
}

/** The boxes checked at first: all of them, or the first `limit` when the server has one. */
export function defaultTargets(codes: readonly string[], limit: number | null): string[] {
  return limit === null ? [...codes] : codes.slice(0, limit);
}
