import {
  EngineError,
  type EngineInfo,
  EngineUnavailableError,
  type SynthesizeRequest,
  type TtsCapabilities,
  type TtsChunk,
  type TtsEngine,
} from '@babelcast/core/engines';
import { describeTtsConformance } from '@babelcast/core/testing';
import { PicoTts } from '@babelcast/engine-pico';
import { RhvoiceTts } from '@babelcast/engine-rhvoice';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedVoices } from './embedded-voices.ts';

describeTtsConformance('embedded (espeak-ng + flite)', () => new EmbeddedVoices(), {
  language: 'fr',
  text: 'Bonjour à tous, et bienvenue.',
});

/** A stand-in for a better voice: installed or not, working or failing, with named voices. */
class StubVoice implements TtsEngine {
  readonly info: EngineInfo;
  readonly capabilities: TtsCapabilities;
  readonly requests: SynthesizeRequest[] = [];
  constructor(
    id: string,
    languages: string[],
    private readonly behaviour: { installed?: boolean; fails?: boolean; voices?: string[] } = {},
  ) {
    this.info = { id, kind: 'tts', description: id, local: true };
    this.capabilities = { languages, streaming: false };
  }
  async init(): Promise<void> {
    if (this.behaviour.installed === false) throw new EngineUnavailableError(this.info.id, 'not installed');
  }
  async close(): Promise<void> {}
  voicesFor(): string[] {
    return this.behaviour.voices ?? [];
  }
  async *synthesize(request: SynthesizeRequest): AsyncIterable<TtsChunk> {
    this.requests.push(request);
    if (this.behaviour.fails) throw new EngineError(this.info.id, 'child died');
    yield { samples: new Int16Array(8000).fill(3000), sampleRate: 8000 };
  }
}

async function spokenBy(tts: TtsEngine, request: SynthesizeRequest): Promise<number> {
  let rate = 0;
  for await (const c of tts.synthesize(request)) rate = c.sampleRate;
  return rate;
}

describe('EmbeddedVoices routing', () => {
  const tts = new EmbeddedVoices();
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
    const noFlite = new EmbeddedVoices({ flite: { binary: '/nonexistent/flite' } });
    await noFlite.init();
    expect(noFlite.engineFor('en')?.info.id).toBe('espeak-ng');
    await expect(
      new EmbeddedVoices({ flite: { binary: '/nonexistent/flite' }, fliteOptional: false }).init(),
    ).rejects.toThrow(/flite/);
  });
});

describe('EmbeddedVoices with better voices', () => {
  it('puts an installed better voice first for its languages, and keeps flite/espeak-ng for the rest', async () => {
    const pico = new StubVoice('pico', ['es', 'fr'], { voices: ['es-ES'] });
    const tts = new EmbeddedVoices({ preferred: [pico] });
    await tts.init();
    expect(tts.engineFor('es')?.info.id).toBe('pico');
    expect(tts.voicesFor('es')[0]).toBe('pico:es-ES');
    expect(tts.voicesFor('es')).toContain('espeak-ng');
    expect(tts.engineFor('en')?.info.id).toBe('flite');
    expect(tts.engineFor('ca')?.info.id).toBe('espeak-ng');
    expect(await spokenBy(tts, { text: 'Hola.', language: 'es' })).toBe(8000);
    expect(pico.requests[0]?.voice).toBe('es-ES');
  });

  it('uses flite and espeak-ng when the better voice is not installed, and says why', async () => {
    const tts = new EmbeddedVoices({ preferred: [new StubVoice('pico', ['es'], { installed: false })] });
    await tts.init();
    expect(tts.engineFor('es')?.info.id).toBe('espeak-ng');
    expect(tts.unavailable.get('pico')).toMatch(/not installed/);
    expect(await spokenBy(tts, { text: 'Hola.', language: 'es' })).toBe(22050);
  });

  it('speaks with the next voice when the better one fails before any audio', async () => {
    const broken = new StubVoice('rhvoice', ['en'], { fails: true, voices: ['slt'] });
    const tts = new EmbeddedVoices({ preferred: [broken] });
    await tts.init();
    expect(tts.engineFor('en')?.info.id).toBe('rhvoice');
    expect(await spokenBy(tts, { text: 'Hello.', language: 'en' })).toBe(16000);
    expect(broken.requests).toHaveLength(1);
  });

  it('applies the catalogue: the chosen voice first, its speed and pitch on top of the request', async () => {
    const rh = new StubVoice('rhvoice', ['en'], { voices: ['slt', 'bdl'] });
    const tts = new EmbeddedVoices({
      preferred: [rh],
      voices: { en: { voice: 'rhvoice:bdl', speed: 0.9, pitch: 1.1 }, es: { voice: 'flite' } },
    });
    await tts.init();
    expect(tts.voicesFor('en').slice(0, 2)).toEqual(['rhvoice:bdl', 'rhvoice:slt']);
    await spokenBy(tts, { text: 'Hello.', language: 'en', rate: 1.2 });
    expect(rh.requests[0]).toMatchObject({ voice: 'bdl' });
    expect(rh.requests[0]!.rate).toBeCloseTo(1.08);
    expect(rh.requests[0]!.pitch).toBeCloseTo(1.1);
    // A voice that does not speak the language is ignored.
    expect(tts.engineFor('es')?.info.id).toBe('espeak-ng');
    // A request may ask for another of the language's voices (a listener's choice).
    await spokenBy(tts, { text: 'Hello.', language: 'en', voice: 'rhvoice:slt' });
    expect(rh.requests[1]).toMatchObject({ voice: 'slt' });
    await tts.close();
  });
});

describe('EmbeddedVoices with the real better voices, installed or missing', () => {
  it('speaks Spanish with Pico when installed and with espeak-ng when it is missing', async () => {
    const withPico = new EmbeddedVoices({ preferred: [new PicoTts()] });
    const without = new EmbeddedVoices({ preferred: [new PicoTts({ binary: '/nonexistent/pico2wave' })] });
    await Promise.all([withPico.init(), without.init()]);
    const hola = { text: 'Hola.', language: 'es' };
    expect(withPico.voicesFor('es')[0]).toBe('pico:es-ES');
    expect(await spokenBy(withPico, hola)).toBe(16000);
    expect(without.voicesFor('es')[0]).toBe('espeak-ng');
    expect(without.unavailable.get('pico')).toMatch(/setup --voices/);
    expect(await spokenBy(without, hola)).toBe(22050);
    await Promise.all([withPico.close(), without.close()]);
  });

  it('takes English from RHVoice when installed and from flite when it is missing', async () => {
    const withIt = new EmbeddedVoices({ preferred: [new RhvoiceTts()] });
    const without = new EmbeddedVoices({
      preferred: [new RhvoiceTts({ binary: '/nonexistent/RHVoice-test' })],
    });
    await Promise.all([without.init(), withIt.init()]);
    expect(withIt.voicesFor('en')[0]).toBe('rhvoice:slt');
    expect(withIt.voicesFor('pt')[0]).toBe('rhvoice:Leticia-F123');
    expect(without.voicesFor('en')[0]).toBe('flite');
    expect(await spokenBy(withIt, { text: 'Hello.', language: 'en' })).toBe(24000);
    await Promise.all([without.close(), withIt.close()]);
  });
});
