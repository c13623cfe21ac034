import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from '../src/pages/shared/backoff.ts';
import { DICTIONARIES, dictionaryFor, pickInitialLanguage } from '../src/pages/shared/i18n.ts';

describe('listener labels', () => {
  const keys = Object.keys(DICTIONARIES.en!).sort();

  it.each(['en', 'es', 'fr', 'pt', 'it', 'ca', 'de'])('has every label in %s', (lang) => {
    const dict = DICTIONARIES[lang]!;
    expect(Object.keys(dict).sort()).toEqual(keys);
    for (const value of Object.values(dict)) expect(value.trim()).not.toBe('');
  });

  it('is actually translated, not copied from English', () => {
    for (const [lang, dict] of Object.entries(DICTIONARIES)) {
      if (lang === 'en') continue;
      expect(dict.listen, lang).not.toBe(DICTIONARIES.en!.listen);
      expect(dict.captions, lang).not.toBe(DICTIONARIES.en!.captions);
    }
  });

  it('uses the base language for regional codes and English otherwise', () => {
    expect(dictionaryFor('pt-BR').lang).toBe('pt');
    expect(dictionaryFor('ja')).toMatchObject({ lang: 'en', t: DICTIONARIES.en });
  });
});

describe('pickInitialLanguage', () => {
  const offered = ['es', 'fr', 'pt-BR'];
  it('prefers an explicit, offered choice', () => {
    expect(pickInitialLanguage(offered, ['de', 'fr'], ['es'])).toBe('fr');
  });
  it('falls back to the browser languages, matching by base language', () => {
    expect(pickInitialLanguage(offered, [null], ['de-DE', 'pt-PT'])).toBe('pt-BR');
  });
  it('falls back to the first offered language', () => {
    expect(pickInitialLanguage(offered, [], ['ja'])).toBe('es');
    expect(pickInitialLanguage([], [], ['ja'])).toBeUndefined();
  });
});

describe('reconnectDelayMs', () => {
  it('grows from a quick first retry to a cap of a few seconds', () => {
    const mid = () => 0.5;
    expect(reconnectDelayMs(0, mid)).toBe(250);
    expect(reconnectDelayMs(2, mid)).toBe(1000);
    expect(reconnectDelayMs(20, mid)).toBe(5000);
    expect(reconnectDelayMs(20, () => 1)).toBe(6250);
  });
});
