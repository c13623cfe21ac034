import { rmsDbfs } from '@babelcast/core/engines';
import { collectSpeech, describeTtsConformance } from '@babelcast/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RhvoiceTts } from './rhvoice-tts.ts';

describeTtsConformance('RHVoice', () => new RhvoiceTts(), {
  language: 'en',
  text: 'Hello, good morning everyone.',
  child: 'RHVoice-test',
  alsoSpeaks: [{ language: 'pt', text: 'Olá, bom dia a todos.' }],
});

describe('RhvoiceTts', () => {
  const tts = new RhvoiceTts();
  beforeAll(() => tts.init());
  afterAll(() => tts.close());
  const text = 'Simultaneous translation lets every listener follow the talk in their own language.';
  const speak = (request: { text?: string; rate?: number; volume?: number; voice?: string } = {}) =>
    collectSpeech(tts.synthesize({ text, language: 'en', ...request }));

  it('offers the freely licensed voices only', () => {
    expect(tts.capabilities.languages).toEqual(['en', 'pt']);
    expect(tts.voicesFor('en')).toEqual(['slt', 'bdl', 'clb']);
    expect(tts.voicesFor('pt')).toEqual(['Leticia-F123']);
  });

  it('streams a long sentence in several chunks and follows rate and volume', async () => {
    const normal = await speak();
    expect(normal.chunks).toBeGreaterThan(1);
    const fast = await speak({ rate: 1.3 });
    const soft = await speak({ volume: 0.7 });
    expect(fast.samples.length).toBeLessThan(normal.samples.length * 0.85);
    // 0.85 in amplitude is -1.4 dB.
    expect(rmsDbfs(soft.samples)).toBeLessThan(rmsDbfs(normal.samples) - 1.4);
  });

  it('speaks with another installed voice on request and ignores an unknown one', async () => {
    const bdl = await speak({ text: 'Hello.', voice: 'bdl' });
    const odd = await speak({ text: 'Hello.', voice: 'lyubov' });
    const slt = await speak({ text: 'Hello.' });
    expect(odd.samples.length).toBe(slt.samples.length);
    expect(bdl.samples.length).not.toBe(slt.samples.length);
  });

  it('is unavailable, saying how to install it, without RHVoice', async () => {
    await expect(new RhvoiceTts({ binary: '/nonexistent/RHVoice-test' }).init()).rejects.toThrow(
      /setup --voices/,
    );
    await expect(new RhvoiceTts({ voicesDir: '/nonexistent' }).init()).rejects.toThrow(/no usable voice/);
  });
});
