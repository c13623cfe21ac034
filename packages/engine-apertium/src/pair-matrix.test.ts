import { describe, expect, it } from 'vitest';
import { parseApertiumCode } from './language-codes.ts';
import { buildRoutes, routeKey } from './pair-matrix.ts';

// What apy 0.11.7 reports for the Debian pairs installed on the development machines.
const INSTALLED = [
  ['spa', 'cat_iec2017'],
  ['eng', 'cat_iec2017'],
  ['eng', 'cat_valencia'],
  ['ita', 'spa'],
  ['eng', 'cat'],
  ['spa', 'eng'],
  ['spa', 'cat'],
  ['spa', 'por_BR'],
  ['por', 'spa'],
  ['spa', 'fra'],
  ['spa', 'eng_US'],
  ['spa', 'ita'],
  ['eng', 'spa'],
  ['spa', 'por'],
  ['cat', 'eng'],
  ['cat', 'eng_US'],
  ['cat', 'spa'],
  ['glg', 'eng'],
  ['eng', 'glg'],
  ['spa', 'cat_valencia'],
  ['fra', 'spa'],
].map(([sourceLanguage, targetLanguage]) => ({
  sourceLanguage: sourceLanguage!,
  targetLanguage: targetLanguage!,
}));

describe('Apertium language codes', () => {
  it('normalises ISO 639-3 codes and variants to ISO 639-1', () => {
    expect(parseApertiumCode('eng')).toEqual({ raw: 'eng', language: 'en', variant: undefined });
    expect(parseApertiumCode('cat_valencia')).toEqual({
      raw: 'cat_valencia',
      language: 'ca',
      variant: 'valencia',
    });
    expect(parseApertiumCode('es')).toEqual({ raw: 'es', language: 'es', variant: undefined });
    expect(parseApertiumCode('ast').language).toBe('ast');
  });
});

describe('pair matrix', () => {
  const routes = buildRoutes(INSTALLED, { pivot: 'es', variants: {} });
  const pair = (from: string, to: string) => routes.get(routeKey(from, to));

  it('keeps direct pairs direct, using the standard variety', () => {
    expect(pair('en', 'es')).toEqual({
      pair: { from: 'en', to: 'es', via: [] },
      hops: [{ from: 'eng', to: 'spa' }],
    });
    expect(pair('en', 'ca')?.hops).toEqual([{ from: 'eng', to: 'cat' }]);
    expect(pair('es', 'pt')?.hops).toEqual([{ from: 'spa', to: 'por' }]);
  });

  it('adds pivot pairs through Spanish where no direct pair exists', () => {
    expect(pair('en', 'fr')).toEqual({
      pair: { from: 'en', to: 'fr', via: ['es'] },
      hops: [
        { from: 'eng', to: 'spa' },
        { from: 'spa', to: 'fra' },
      ],
    });
    for (const [from, to] of [
      ['en', 'pt'],
      ['en', 'it'],
      ['ca', 'fr'],
      ['fr', 'en'],
      ['it', 'pt'],
    ] as const)
      expect(pair(from, to)?.pair.via).toEqual(['es']);
  });

  it('offers no route that neither a pair nor the pivot provides', () => {
    expect(pair('gl', 'fr')).toBeUndefined(); // Galician only pairs with English here
    expect(pair('en', 'de')).toBeUndefined();
    expect([...routes.keys()].every((k) => !k.includes('_'))).toBe(true);
  });

  it('uses a variant only when configured to', () => {
    const valencian = buildRoutes(INSTALLED, { pivot: 'es', variants: { ca: 'valencia', pt: 'BR' } });
    expect(valencian.get(routeKey('en', 'ca'))?.hops).toEqual([{ from: 'eng', to: 'cat_valencia' }]);
    expect(valencian.get(routeKey('en', 'pt'))?.hops.at(-1)).toEqual({ from: 'spa', to: 'por_BR' });
  });

  it('offers direct pairs only when pivoting is off', () => {
    const directOnly = buildRoutes(INSTALLED, { pivot: null, variants: {} });
    expect(directOnly.get(routeKey('en', 'fr'))).toBeUndefined();
    expect([...directOnly.values()].every((r) => r.pair.via.length === 0)).toBe(true);
  });
});
