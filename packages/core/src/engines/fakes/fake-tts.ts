import { EngineError, type EngineInfo } from '../engine.ts';
import type { SynthesizeRequest, TtsCapabilities, TtsChunk, TtsEngine } from '../tts.ts';

/**
 * Deterministic "voice" for tests: a 440 Hz tone, `msPerChar` (50) ms per character divided by the
 * requested rate, in 100 ms chunks at 16 kHz. Records the rates it was asked for.
 *
 * With `voices` (e.g. `['fake:low', 'fake:high']`) it offers them for every language it speaks,
 * the first the default, and they sound apart: voice i is a tone of 440 × (i + 1) Hz lasting
 * (1 + i / 2) times as long (`FakeTts.toneHz`, `FakeTts.lengthFactor`). An unknown voice falls
 * back to the default, as the embedded voices do.
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
  /** The `voice` of every request (undefined: none named), in order. */
  readonly voicesAsked: (string | undefined)[] = [];
  private readonly msPerChar: number;
  private readonly voices: string[];

  constructor(options: { languages?: string[]; msPerChar?: number; voices?: string[] } = {}) {
    this.capabilities = {
      languages: options.languages ?? ['en', 'es', 'fr', 'de', 'pt', 'it', 'ca'],
      streaming: true,
    };
    this.msPerChar = options.msPerChar ?? 50;
    this.voices = options.voices ?? [];
  }

  /** Tone frequency of the voice at `index` of `voices`. */
  static toneHz(index: number): number {
    return 440 * (index + 1);
  }

  /** How much longer than the first voice the voice at `index` speaks. */
  static lengthFactor(index: number): number {
    return 1 + index / 2;
  }

  voicesFor(language: string): string[] {
    return this.capabilities.languages.includes(language) ? [...this.voices] : [];
  }

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  async *synthesize({ text, language, rate = 1, voice }: SynthesizeRequest): AsyncIterable<TtsChunk> {
    if (!this.capabilities.languages.includes(language))
      throw new EngineError('fake', `no voice for ${language}`, false);
    this.rates.push(rate);
    this.voicesAsked.push(voice);
    const index = Math.max(0, voice === undefined ? 0 : this.voices.indexOf(voice));
    const hz = FakeTts.toneHz(index);
    const sampleRate = 16000;
    const total = Math.round(
      (Math.max(1, text.length) * this.msPerChar * FakeTts.lengthFactor(index) * sampleRate) / 1000 / rate,
    );
    for (let start = 0; start < total; start += 1600) {
      const n = Math.min(1600, total - start);
      const samples = new Int16Array(n);
      for (let i = 0; i < n; i++)
        samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * (start + i)) / sampleRate));
      yield { samples, sampleRate };
    }
  }
}
