import type { TtsChunk, TtsEngine } from '@babelcast/core/engines';
import { describeTtsConformance } from '@babelcast/core/testing';
import { CompositeTts } from '@babelcast/engine-espeak';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PicoTts } from './pico-tts.ts';

describeTtsConformance('SVOX Pico', () => new PicoTts(), {
  language: 'es',
  text: 'Hola, buenos días a todos, y bienvenidos.',
  child: 'pico2wave',
});
describeTtsConformance('SVOX Pico (French)', () => new PicoTts(), {
  language: 'fr',
  text: 'Bonjour à tous, et bienvenue.',
});

async function collect(chunks: AsyncIterable<TtsChunk>): Promise<Int16Array> {
  const parts: Int16Array[] = [];
  for await (const c of chunks) parts.push(c.samples);
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const rms = (s: Int16Array) => Math.sqrt(s.reduce((a, x) => a + x * x, 0) / s.length);

describe('PicoTts', () => {
  const tts = new PicoTts();
  beforeAll(() => tts.init());
  afterAll(() => tts.close());
  const text = 'La traducción simultánea permite que cada oyente escuche la charla en su idioma.';

  it('offers es, fr, it, de and both English voices from the installed lingware', () => {
    expect(tts.capabilities.languages).toEqual(['de', 'en', 'es', 'fr', 'it']);
    expect(tts.voicesFor('en')).toEqual(['en-US', 'en-GB']);
  });

  it('speaks faster, slower and louder with its own controls, and ends without a long silence', async () => {
    const normal = await collect(tts.synthesize({ text, language: 'es' }));
    const fast = await collect(tts.synthesize({ text, language: 'es', rate: 1.3 }));
    const slow = await collect(tts.synthesize({ text, language: 'es', rate: 0.8 }));
    const loud = await collect(tts.synthesize({ text, language: 'es', volume: 1.4 }));
    expect(fast.length).toBeLessThan(normal.length * 0.85);
    expect(slow.length).toBeGreaterThan(normal.length * 1.1);
    expect(rms(loud) / rms(normal)).toBeCloseTo(1.4, 1);
    const tail = normal.subarray(normal.length - 3200);
    expect(Math.max(...tail.map(Math.abs))).toBeGreaterThan(0); // not a second of padding
    expect(normal.length / 16000).toBeLessThan(6);
  });

  it('speaks text that looks like options or markup as text', async () => {
    const out = await collect(
      tts.synthesize({ text: '-w /tmp/x.wav <speed level="500">hola</speed>', language: 'es' }),
    );
    expect(out.length / 16000).toBeGreaterThan(0.5);
  });

  it('is unavailable, saying how to install it, without pico2wave or lingware', async () => {
    await expect(new PicoTts({ binary: '/nonexistent/pico2wave' }).init()).rejects.toThrow(/setup --voices/);
    await expect(new PicoTts({ langDir: '/nonexistent' }).init()).rejects.toThrow(/no Pico lingware/);
  });
});

describe('the embedded voice set with and without Pico', () => {
  it('speaks Spanish with Pico when installed and with espeak-ng when it is missing', async () => {
    const sampleRateOf = async (t: TtsEngine) => {
      for await (const c of t.synthesize({ text: 'Hola.', language: 'es' })) return c.sampleRate;
      return 0;
    };
    const withPico = new CompositeTts({ preferred: [new PicoTts()] });
    const without = new CompositeTts({ preferred: [new PicoTts({ binary: '/nonexistent/pico2wave' })] });
    await Promise.all([withPico.init(), without.init()]);
    expect(withPico.voicesFor('es')[0]).toBe('pico:es-ES');
    expect(await sampleRateOf(withPico)).toBe(16000);
    expect(without.voicesFor('es')[0]).toBe('espeak-ng');
    expect(without.unavailable.get('pico')).toMatch(/setup --voices/);
    expect(await sampleRateOf(without)).toBe(22050);
    await Promise.all([withPico.close(), without.close()]);
  });
});
