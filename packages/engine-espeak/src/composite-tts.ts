import {
  EngineError,
  type EngineInfo,
  type SynthesizeRequest,
  type TtsCapabilities,
  type TtsChunk,
  type TtsEngine,
} from '@babelcast/core';
import { EspeakTts, type EspeakTtsOptions } from './espeak-tts.ts';
import { FliteTts, type FliteTtsOptions } from './flite-tts.ts';

export interface CompositeTtsOptions {
  espeak?: EspeakTtsOptions;
  flite?: FliteTtsOptions;
  /**
   * Start even when flite is missing (English then falls back to espeak-ng). Default true: flite
   * is an improvement for English, not a requirement.
   */
  fliteOptional?: boolean;
}

/**
 * The out-of-the-box voice set: flite for English (much more intelligible), espeak-ng for every
 * other language. Languages are the union of both engines.
 */
export class CompositeTts implements TtsEngine {
  readonly info: EngineInfo = {
    id: 'embedded',
    kind: 'tts',
    description: 'flite for English, espeak-ng for other languages',
    local: true,
  };
  readonly capabilities: TtsCapabilities = { languages: [], streaming: true };
  readonly espeak: EspeakTts;
  readonly flite: FliteTts;
  private readonly fliteOptional: boolean;
  private fliteReady = false;
  private initializing: Promise<void> | undefined;

  constructor(options: CompositeTtsOptions = {}) {
    this.espeak = new EspeakTts(options.espeak);
    this.flite = new FliteTts(options.flite);
    this.fliteOptional = options.fliteOptional ?? true;
  }

  init(): Promise<void> {
    this.initializing ??= this.start().catch((err: unknown) => {
      this.initializing = undefined;
      throw err;
    });
    return this.initializing;
  }

  async close(): Promise<void> {
    await Promise.all([this.espeak.close(), this.flite.close()]);
  }

  /** Which engine speaks a language, or undefined when none does. */
  engineFor(language: string): TtsEngine | undefined {
    if (this.fliteReady && this.flite.capabilities.languages.includes(language)) return this.flite;
    if (this.espeak.capabilities.languages.includes(language)) return this.espeak;
    return undefined;
  }

  async *synthesize(request: SynthesizeRequest): AsyncIterable<TtsChunk> {
    const engine = this.engineFor(request.language);
    if (!engine) throw new EngineError(this.info.id, `no voice for language "${request.language}"`, false);
    yield* engine.synthesize(request);
  }

  private async start(): Promise<void> {
    const [espeak, flite] = await Promise.allSettled([this.espeak.init(), this.flite.init()]);
    if (espeak.status === 'rejected') throw espeak.reason;
    if (flite.status === 'rejected' && !this.fliteOptional) throw flite.reason;
    this.fliteReady = flite.status === 'fulfilled';
    const languages = new Set([...this.espeak.capabilities.languages]);
    if (this.fliteReady) for (const l of this.flite.capabilities.languages) languages.add(l);
    this.capabilities.languages = [...languages].sort();
    // Flite writes a sentence at once; only the languages espeak-ng speaks stream.
    this.capabilities.streaming = !this.fliteReady;
  }
}
