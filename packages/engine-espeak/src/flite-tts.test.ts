import { EngineError, EngineUnavailableError, type TtsChunk } from '@babelcast/core/engines';
import { describeTtsConformance } from '@babelcast/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childProcessesNamed } from './child-processes.ts';
import { FliteTts } from './flite-tts.ts';

describeTtsConformance('flite', () => new FliteTts(), {
  language: 'en',
  text: 'Hello, good morning everyone.',
});

async function collect(chunks: AsyncIterable<TtsChunk>): Promise<TtsChunk[]> {
  const out: TtsChunk[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}
const seconds = (chunks: TtsChunk[]) =>
  chunks.reduce((n, c) => n + c.samples.length, 0) / chunks[0]!.sampleRate;

describe('FliteTts', () => {
  const tts = new FliteTts();
  beforeAll(() => tts.init());
  afterAll(() => tts.close());

  it('uses the kal16 voice at 16 kHz', async () => {
    expect(tts.voice).toBe('kal16');
    const chunks = await collect(tts.synthesize({ text: 'Testing one two three.', language: 'en' }));
    expect(chunks[0]!.sampleRate).toBe(16000);
  });

  it('slows down for a rate below 1 and speeds up above 1', async () => {
    const text = 'The quick brown fox jumps over the lazy dog.';
    const normal = seconds(await collect(tts.synthesize({ text, language: 'en' })));
    const slow = seconds(await collect(tts.synthesize({ text, language: 'en', rate: 0.5 })));
    const fast = seconds(await collect(tts.synthesize({ text, language: 'en', rate: 1.25 })));
    expect(slow / normal).toBeCloseTo(2, 0);
    expect(fast / normal).toBeCloseTo(0.8, 1);
  });

  it('speaks text that starts like an option instead of obeying it', async () => {
    const chunks = await collect(tts.synthesize({ text: '-lv -o /tmp/owned.wav', language: 'en' }));
    expect(seconds(chunks)).toBeGreaterThan(0.5);
  });

  it('yields nothing for blank text and refuses other languages', async () => {
    expect(await collect(tts.synthesize({ text: ' ', language: 'en' }))).toEqual([]);
    await expect(collect(tts.synthesize({ text: 'hola', language: 'es' }))).rejects.toBeInstanceOf(
      EngineError,
    );
  });

  it('kills flite when aborted mid-synthesis', async () => {
    const abort = new AbortController();
    const pending = collect(
      tts.synthesize({ text: 'A rather long sentence. '.repeat(2000), language: 'en', signal: abort.signal }),
    );
    let settled = false;
    pending
      .catch(() => {})
      .finally(() => {
        settled = true;
      });
    while (!settled && childProcessesNamed('flite').length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(settled).toBe(false);
    abort.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    expect(childProcessesNamed('flite')).toEqual([]);
  });
});

describe('FliteTts configuration errors', () => {
  it('is unavailable when none of the requested voices is installed', async () => {
    await expect(new FliteTts({ voices: ['no_such_voice'] }).init()).rejects.toBeInstanceOf(
      EngineUnavailableError,
    );
  });
});
