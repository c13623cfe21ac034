import { describeTtsConformance } from '@babelcast/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompositeTts } from './composite-tts.ts';

describeTtsConformance('embedded (espeak-ng + flite)', () => new CompositeTts(), {
  language: 'fr',
  text: 'Bonjour à tous, et bienvenue.',
});

describe('CompositeTts routing', () => {
  const tts = new CompositeTts();
  beforeAll(() => tts.init());
  afterAll(() => tts.close());

  it('speaks English with flite and other languages with espeak-ng', () => {
    expect(tts.engineFor('en')?.info.id).toBe('flite');
    expect(tts.engineFor('fr')?.info.id).toBe('espeak-ng');
    expect(tts.engineFor('xx')).toBeUndefined();
    expect(tts.capabilities.languages).toEqual(expect.arrayContaining(['en', 'es', 'fr', 'pt', 'it', 'ca']));
  });

  it('returns the sample rate of the engine that spoke', async () => {
    const rates = new Set<number>();
    for await (const c of tts.synthesize({ text: 'Hello there.', language: 'en' })) rates.add(c.sampleRate);
    for await (const c of tts.synthesize({ text: 'Hola.', language: 'es' })) rates.add(c.sampleRate);
    expect([...rates].sort()).toEqual([16000, 22050]);
  });

  it('falls back to espeak-ng for English when flite is missing', async () => {
    const noFlite = new CompositeTts({ flite: { binary: '/nonexistent/flite' } });
    await noFlite.init();
    expect(noFlite.engineFor('en')?.info.id).toBe('espeak-ng');
    await expect(
      new CompositeTts({ flite: { binary: '/nonexistent/flite' }, fliteOptional: false }).init(),
    ).rejects.toThrow(/flite/);
  });
});
