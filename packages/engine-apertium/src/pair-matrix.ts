/**
 * Turns apy's installed pairs into the language matrix Babelcast offers: direct pairs, plus
 * two-step pairs through a pivot language (Spanish: nearly every Apertium pair touches it).
 */
import type { LanguagePair } from '@babelcast/core/engines';
import { parseApertiumCode } from './language-codes.ts';

export interface InstalledPair {
  sourceLanguage: string;
  targetLanguage: string;
}

/** One hop as apy must be asked for it. */
export interface ApertiumHop {
  from: string;
  to: string;
}

export interface Route {
  pair: LanguagePair;
  hops: ApertiumHop[];
}

export interface PairMatrixOptions {
  /** Pivot language (ISO 639-1), or null for direct pairs only. */
  pivot: string | null;
  /**
   * ISO 639-1 → Apertium variant to use when translating into that language, e.g.
   * { ca: 'valencia', pt: 'BR' }. Without an entry only the standard variety is used.
   */
  variants: Record<string, string>;
}

export function buildRoutes(installed: InstalledPair[], options: PairMatrixOptions): Map<string, Route> {
  const direct = new Map<string, ApertiumHop>();
  for (const p of installed) {
    const from = parseApertiumCode(p.sourceLanguage);
    const to = parseApertiumCode(p.targetLanguage);
    if (from.variant !== undefined) continue;
    const wanted = options.variants[to.language];
    if (to.variant !== undefined && to.variant !== wanted) continue;
    const key = routeKey(from.language, to.language);
    // A requested variant replaces the standard variety; never the other way round.
    if (direct.has(key) && to.variant === undefined) continue;
    direct.set(key, { from: from.raw, to: to.raw });
  }

  const routes = new Map<string, Route>();
  const languages = new Set<string>();
  for (const [key, hop] of direct) {
    const [from, to] = key.split('|') as [string, string];
    languages.add(from).add(to);
    routes.set(key, { pair: { from, to, via: [] }, hops: [hop] });
  }
  const pivot = options.pivot;
  if (pivot) {
    for (const from of languages) {
      for (const to of languages) {
        if (from === to || from === pivot || to === pivot || routes.has(routeKey(from, to))) continue;
        const first = direct.get(routeKey(from, pivot));
        const second = direct.get(routeKey(pivot, to));
        if (first && second)
          routes.set(routeKey(from, to), { pair: { from, to, via: [pivot] }, hops: [first, second] });
      }
    }
  }
  return routes;
}

export function routeKey(from: string, to: string): string {
  return `${from}|${to}`;
}
