import { EngineError, type EngineInfo } from '../engine.ts';
import type { SynthesizeRequest, TtsCapabilities, TtsChunk, TtsEngine } from '../tts.ts';

/** Deterministic "voice" for tests: a 440 Hz tone, 50 ms per character, in 100 ms chunks at 16 kHz. */
export class FakeTts implements TtsEngine {
  readonly info: EngineInfo = {
    id: 'fake',
    kind: 'tts',
    description: 'deterministic tone generator',
    local: true,
  };
  readonly capabilities: TtsCapabilities;

  constructor(options: { languages?: string[] } = {}) {
    this.capabilities = {
      languages: options.languages ?? ['en', 'es', 'fr', 'de', 'pt', 'it', 'ca'],
      streaming: true,
    };
  }

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  async *synthesize({ text, language }: SynthesizeRequest): AsyncIterable<TtsChunk> {
    if (!this.capabilities.languages.includes(language))
      throw new EngineError('fake', `no voice for ${language}`, false);
    const sampleRate = 16000;
    const total = Math.max(1, text.length) * 0.05 * sampleRate;
    for (let start = 0; start < total; start += 1600) {
      const n = Math.min(1600, total - start);
      const samples = new Int16Array(n);
      for (let i = 0; i < n; i++)
        samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (start + i)) / sampleRate));
      yield { samples, sampleRate };
    }
  }
}
