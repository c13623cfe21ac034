import { EngineError, type EngineInfo } from '../engine.ts';
import type { SynthesizeRequest, TtsCapabilities, TtsChunk, TtsEngine } from '../tts.ts';

/**
 * Deterministic "voice" for tests: a 440 Hz tone, `msPerChar` (50) ms per character divided by the
 * requested rate, in 100 ms chunks at 16 kHz. Records the rates it was asked for.
 */
export class FakeTts implements TtsEngine {
  readonly info: EngineInfo = {
    id: 'fake',
    kind: 'tts',
    description: 'deterministic tone generator',
    local: true,
  };
  readonly capabilities: TtsCapabilities;
  /** The `rate` of every request, in order. */
  readonly rates: number[] = [];
  private readonly msPerChar: number;

  constructor(options: { languages?: string[]; msPerChar?: number } = {}) {
    this.capabilities = {
      languages: options.languages ?? ['en', 'es', 'fr', 'de', 'pt', 'it', 'ca'],
      streaming: true,
    };
    this.msPerChar = options.msPerChar ?? 50;
  }

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  async *synthesize({ text, language, rate = 1 }: SynthesizeRequest): AsyncIterable<TtsChunk> {
    if (!this.capabilities.languages.includes(language))
      throw new EngineError('fake', `no voice for ${language}`, false);
    this.rates.push(rate);
    const sampleRate = 16000;
    const total = Math.round((Math.max(1, text.length) * this.msPerChar * sampleRate) / 1000 / rate);
    for (let start = 0; start < total; start += 1600) {
      const n = Math.min(1600, total - start);
      const samples = new Int16Array(n);
      for (let i = 0; i < n; i++)
        samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (start + i)) / sampleRate));
      yield { samples, sampleRate };
    }
  }
}
