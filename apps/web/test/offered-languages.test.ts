import type { LanguagesResponse } from '@babelcast/protocol';
import { describe, expect, it } from 'vitest';
import { defaultTargets, maxLanguagesPerSession, targetsFor } from '../src/pages/shared/offered-languages.ts';

const pair = (source: string, target: string) => ({ source, target, voice: true, via: 'x' });
const languages: LanguagesResponse = {
  sources: ['en', 'es'],
  pairs: [
    pair('en', 'es'),
    pair('en', 'fr'),
    pair('es', 'en'),
    pair('en', 'fr'),
    pair('en', 'en'),
    pair('en', 'de'),
  ],
  names: {},
};

describe('languages a speaker may offer', () => {
  it('lists the targets served for the chosen source, once each, in the server’s order', () => {
    expect(targetsFor(languages, 'en')).toEqual(['es', 'fr', 'de']);
    expect(targetsFor(languages, 'es')).toEqual(['en']);
    expect(targetsFor(languages, 'ja')).toEqual([]);
  });
  it('checks all of them by default, or the first ones up to the server’s limit', () => {
    expect(defaultTargets(['es', 'fr', 'de'], null)).toEqual(['es', 'fr', 'de']);
    expect(defaultTargets(['es', 'fr', 'de'], 2)).toEqual(['es', 'fr']);
  });
  it('reads limits.maxLanguagesPerSession when the server sends it, else leaves it to the server', () => {
    expect(maxLanguagesPerSession(languages)).toBeNull();
    expect(
      maxLanguagesPerSession({ ...languages, limits: { maxLanguagesPerSession: 2 } } as LanguagesResponse),
    ).toBe(2);
    expect(
      maxLanguagesPerSession({ ...languages, limits: { maxLanguagesPerSession: 0 } } as LanguagesResponse),
    ).toBeNull();
  });
});
