import { EngineError, EngineUnavailableError } from '@babelcast/core/engines';
import { childProcessesNamed, collectSpeech, describeTtsConformance } from '@babelcast/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EspeakTts } from './espeak-tts.ts';

describeTtsConformance('espeak-ng', () => new EspeakTts(), { language: 'es', child: 'espeak-ng' });

const PARAGRAPH =
  'La traducción simultánea permite que cada oyente escuche la charla en su propio idioma. ' +
  'El sistema reconoce la voz, la traduce frase por frase y la vuelve a sintetizar, ' +
  'de modo que el público puede seguir la presentación casi en tiempo real.';

describe('EspeakTts', () => {
  const tts = new EspeakTts();
  beforeAll(() => tts.init());
  afterAll(() => tts.close());

  it('discovers voices for the languages Babelcast translates into', () => {
    for (const lang of ['es', 'fr', 'pt', 'it', 'ca', 'de', 'en', 'nl', 'eo', 'ro'])
      expect(tts.capabilities.languages).toContain(lang);
    expect(tts.voiceFor('fr')).toBe('fr-fr');
    expect(tts.capabilities.languages).not.toContain('ja');
  });

  it('speaks at 22.05 kHz and yields a long sentence in several chunks as they are written', async () => {
    const speech = await collectSpeech(tts.synthesize({ text: PARAGRAPH, language: 'es' }));
    expect(speech.sampleRate).toBe(22050);
    expect(speech.chunks).toBeGreaterThan(1);
    expect(speech.seconds).toBeGreaterThan(8);
  });

  it('speaks faster when asked for a higher rate', async () => {
    const normal = await collectSpeech(tts.synthesize({ text: PARAGRAPH, language: 'es' }));
    const fast = await collectSpeech(tts.synthesize({ text: PARAGRAPH, language: 'es', rate: 1.5 }));
    expect(fast.seconds).toBeLessThan(normal.seconds * 0.85);
  });

  it('yields nothing for empty or blank text', async () => {
    expect((await collectSpeech(tts.synthesize({ text: '  \n\t', language: 'es' }))).chunks).toBe(0);
  });

  it('reads text that looks like command-line options or markup as text', async () => {
    const speech = await collectSpeech(
      tts.synthesize({ text: '--version -w /tmp/x.wav <speak>hola</speak>', language: 'es' }),
    );
    expect(speech.peak).toBeGreaterThan(1000);
  });

  it('stops the child process when the request is aborted', async () => {
    const abort = new AbortController();
    const run = async () => {
      for await (const _ of tts.synthesize({
        text: PARAGRAPH.repeat(20),
        language: 'es',
        signal: abort.signal,
      })) {
        expect(childProcessesNamed('espeak-ng')).toHaveLength(1);
        abort.abort();
      }
    };
    await expect(run()).rejects.toThrow(/abort/i);
    expect(childProcessesNamed('espeak-ng')).toEqual([]);
  });

  it('stops the child process when the consumer stops reading early', async () => {
    for await (const _ of tts.synthesize({ text: PARAGRAPH.repeat(20), language: 'es' })) break;
    expect(childProcessesNamed('espeak-ng')).toEqual([]);
  });

  it('rejects a language without a voice with a non-recoverable EngineError', async () => {
    const error = await collectSpeech(tts.synthesize({ text: 'x', language: 'xx' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).recoverable).toBe(false);
  });

  it('reports a voice that espeak-ng refuses as an EngineError, not a crash', async () => {
    const broken = new EspeakTts({ voices: { es: 'zz' } });
    await broken.init();
    await expect(collectSpeech(broken.synthesize({ text: 'hola', language: 'es' }))).rejects.toThrow(
      /exited with code 1.*voice/i,
    );
  });
});

describe('EspeakTts without espeak-ng', () => {
  it('fails init with EngineUnavailableError saying what to install', async () => {
    const error = await new EspeakTts({ binary: '/nonexistent/espeak-ng' }).init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect(String(error)).toMatch(/apt-get install espeak-ng/);
  });
});
