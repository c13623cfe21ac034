import type { TtsChunk } from '@babelcast/core/engines';
import { describeTtsConformance } from '@babelcast/core/testing';
import { CompositeTts } from '@babelcast/engine-espeak';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RhvoiceTts } from './rhvoice-tts.ts';

describeTtsConformance('RHVoice (English)', () => new RhvoiceTts(), {
  language: 'en',
  text: 'Hello, good morning everyone.',
  child: 'RHVoice-test',
});
describeTtsConformance('RHVoice (Brazilian Portuguese)', () => new RhvoiceTts(), {
  language: 'pt',
  text: 'Olá, bom dia a todos.',
});

async function collect(chunks: AsyncIterable<TtsChunk>): Promise<{ samples: Int16Array; chunks: number }> {
  const parts: Int16Array[] = [];
  for await (const c of chunks) parts.push(c.samples);
  const samples = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    samples.set(p, at);
    at += p.length;
  }
  return { samples, chunks: parts.length };
}
const rms = (s: Int16Array) => Math.sqrt(s.reduce((a, x) => a + x * x, 0) / s.length);

describe('RhvoiceTts', () => {
  const tts = new RhvoiceTts();
  beforeAll(() => tts.init());
  afterAll(() => tts.close());
  const text = 'Simultaneous translation lets every listener follow the talk in their own language.';

  it('offers the freely licensed voices only', () => {
    expect(tts.capabilities.languages).toEqual(['en', 'pt']);
    expect(tts.voicesFor('en')).toEqual(['slt', 'bdl', 'clb']);
    expect(tts.voicesFor('pt')).toEqual(['Leticia-F123']);
  });

  it('streams a long sentence in several chunks and follows rate and volume', async () => {
    const normal = await collect(tts.synthesize({ text, language: 'en' }));
    expect(normal.chunks).toBeGreaterThan(1);
    const fast = await collect(tts.synthesize({ text, language: 'en', rate: 1.3 }));
    const soft = await collect(tts.synthesize({ text, language: 'en', volume: 0.7 }));
    expect(fast.samples.length).toBeLessThan(normal.samples.length * 0.85);
    expect(rms(soft.samples)).toBeLessThan(rms(normal.samples) * 0.85);
  });

  it('speaks with another installed voice on request and ignores an unknown one', async () => {
    const bdl = await collect(tts.synthesize({ text: 'Hello.', language: 'en', voice: 'bdl' }));
    const odd = await collect(tts.synthesize({ text: 'Hello.', language: 'en', voice: 'lyubov' }));
    const slt = await collect(tts.synthesize({ text: 'Hello.', language: 'en' }));
    expect(odd.samples.length).toBe(slt.samples.length);
    expect(bdl.samples.length).not.toBe(slt.samples.length);
  });

  it('is unavailable, saying how to install it, without RHVoice', async () => {
    await expect(new RhvoiceTts({ binary: '/nonexistent/RHVoice-test' }).init()).rejects.toThrow(
      /setup --voices/,
    );
    await expect(new RhvoiceTts({ voicesDir: '/nonexistent' }).init()).rejects.toThrow(/no usable voice/);
  });

  it('takes English from flite in the embedded set when RHVoice is missing', async () => {
    const without = new CompositeTts({
      preferred: [new RhvoiceTts({ binary: '/nonexistent/RHVoice-test' })],
    });
    const withIt = new CompositeTts({ preferred: [new RhvoiceTts()] });
    await Promise.all([without.init(), withIt.init()]);
    expect(without.voicesFor('en')[0]).toBe('flite');
    expect(withIt.voicesFor('en')[0]).toBe('rhvoice:slt');
    expect(withIt.voicesFor('pt')[0]).toBe('rhvoice:Leticia-F123');
    await Promise.all([without.close(), withIt.close()]);
  });
});
