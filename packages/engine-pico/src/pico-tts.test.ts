import { rmsDbfs } from '@babelcast/core/engines';
import { collectSpeech, describeTtsConformance } from '@babelcast/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PicoTts } from './pico-tts.ts';

describeTtsConformance('SVOX Pico', () => new PicoTts(), {
  language: 'es',
  text: 'Hola, buenos días a todos, y bienvenidos.',
  child: 'pico2wave',
  alsoSpeaks: [{ language: 'fr', text: 'Bonjour à tous, et bienvenue.' }],
});

describe('PicoTts', () => {
  const tts = new PicoTts();
  beforeAll(() => tts.init());
  afterAll(() => tts.close());
  const text = 'La traducción simultánea permite que cada oyente escuche la charla en su idioma.';
  const speak = (request: { rate?: number; volume?: number } = {}) =>
    collectSpeech(tts.synthesize({ text, language: 'es', ...request }));

  it('offers es, fr, it, de and both English voices from the installed lingware', () => {
    expect(tts.capabilities.languages).toEqual(['de', 'en', 'es', 'fr', 'it']);
    expect(tts.voicesFor('en')).toEqual(['en-US', 'en-GB']);
  });

  it('speaks faster, slower and louder with its own controls, and ends without a long silence', async () => {
    const normal = await speak();
    const fast = await speak({ rate: 1.3 });
    const slow = await speak({ rate: 0.8 });
    const loud = await speak({ volume: 1.4 });
    expect(fast.seconds).toBeLessThan(normal.seconds * 0.85);
    expect(slow.seconds).toBeGreaterThan(normal.seconds * 1.1);
    expect(10 ** ((rmsDbfs(loud.samples) - rmsDbfs(normal.samples)) / 20)).toBeCloseTo(1.4, 1);
    const tail = normal.samples.subarray(normal.samples.length - 3200);
    expect(Math.max(...tail.map(Math.abs))).toBeGreaterThan(0); // not a second of padding
    expect(normal.seconds).toBeLessThan(6);
  });

  it('speaks text that looks like options or markup as text', async () => {
    const out = await collectSpeech(
      tts.synthesize({ text: '-w /tmp/x.wav <speed level="500">hola</speed>', language: 'es' }),
    );
    expect(out.seconds).toBeGreaterThan(0.5);
  });

  it('is unavailable, saying how to install it, without pico2wave or lingware', async () => {
    await expect(new PicoTts({ binary: '/nonexistent/pico2wave' }).init()).rejects.toThrow(/setup --voices/);
    await expect(new PicoTts({ langDir: '/nonexistent' }).init()).rejects.toThrow(/no Pico lingware/);
  });
});
