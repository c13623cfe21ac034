/**
 * The engine registry: the one place that knows every engine package. Adding an engine means
 * adding its package and one line here. Engine packages are imported lazily so a deployment that
 * uses only fakes (tests) or only cloud engines never loads native libraries it does not need.
 */
import {
  type AsrEngine,
  type AudioEncoderEngine,
  EnergyVad,
  type EngineKind,
  type EngineSet,
  FakeAsr,
  FakeMt,
  FakeTts,
  FallbackMt,
  type FallbackEvent,
  type MtEngine,
  PcmCodec,
  RetryingMt,
  ThreadedAsrPool,
  type TtsEngine,
  type VadEngine,
} from '@babelcast/core';
import { BabelcastError, ErrorCode } from '@babelcast/protocol';
import { join, resolve } from 'node:path';
import type { SherpaAsrOptions } from '@babelcast/engine-sherpa';
import type { BabelcastConfig } from './config.ts';

type Options = Record<string, unknown>;
/** What the server gives factories besides options: cloud engines report spend through it. */
export interface EngineHooks {
  onCost(kind: EngineKind, engine: string, usd: number): void;
  /** The fallback translator served a request (engines.fallbackMt). */
  onFallback?(event: FallbackEvent): void;
  /** A recoverable failure is tried again (engines.retryBackoffMs). */
  onRetry?(kind: EngineKind, engine: string): void;
}
type Factory<E> = (options: Options, config: BabelcastConfig, hooks: EngineHooks) => Promise<E>;
const noHooks: EngineHooks = { onCost() {} };

interface Registry {
  vad: Record<string, Factory<VadEngine>>;
  asr: Record<string, Factory<AsrEngine>>;
  mt: Record<string, Factory<MtEngine>>;
  tts: Record<string, Factory<TtsEngine>>;
  codec: Record<string, Factory<AudioEncoderEngine>>;
}

export const ENGINE_REGISTRY: Registry = {
  vad: {
    silero: async (o) => new (await import('@babelcast/engine-sherpa')).SileroVad(o),
    webrtc: async (o) => new (await import('@babelcast/engine-webrtc-vad')).WebRtcVad(o),
    energy: async (o) => new EnergyVad(o),
  },
  asr: {
    fake: async (o) => new FakeAsr(o),
    // Amazon Transcribe Streaming: one request per utterance (billed at least 15 s each).
    'aws-transcribe': async (o, _c, hooks) =>
      new (await import('@babelcast/engine-aws')).AwsTranscribeAsr({
        ...o,
        onCost: (usd: number) => hooks.onCost('asr', 'aws-transcribe', usd),
      }),
    // Synchronous native code: on worker threads (one per core by default) so it never stalls
    // fan-out and sessions spread over the cores. `inProcess: true` runs it on the main thread.
    pocketsphinx: async ({ inProcess, threads, ...o }) =>
      inProcess
        ? new (await import('@babelcast/engine-pocketsphinx')).PocketsphinxAsr(o)
        : new ThreadedAsrPool(
            { module: '@babelcast/engine-pocketsphinx', exportName: 'PocketsphinxAsr', options: o },
            typeof threads === 'number' ? threads : undefined,
          ),
    // Operator-downloaded models: `babelcast models download <name>` puts them in <dataDir>/models.
    sherpa: async (o, config) =>
      new (await import('@babelcast/engine-sherpa')).SherpaAsr({
        model: 'sherpa-onnx-streaming-zipformer-en-2023-06-26',
        ...o,
        modelsDir: (o.modelsDir as string | undefined) ?? join(resolve(config.dataDir), 'models'),
      } as SherpaAsrOptions),
  },
  mt: {
    // apertium-apy as a supervised child process; pairs discovered, Spanish pivot for the rest.
    apertium: async (o) => new (await import('@babelcast/engine-apertium')).ApertiumMt(o),
    'aws-translate': async (o, _c, hooks) =>
      new (await import('@babelcast/engine-aws')).AwsTranslateMt({
        ...o,
        onCost: (usd: number) => hooks.onCost('mt', 'aws-translate', usd),
      }),
    fake: async (o) => new FakeMt(o),
  },
  tts: {
    // The best installed voice per language: RHVoice (en, pt-BR) and SVOX Pico (es, fr, it, de)
    // from `babelcast setup --voices`, else flite (English) and espeak-ng (everything else).
    embedded: async (o, config) => {
      const [voices, pico, rhvoice] = await Promise.all([
        import('@babelcast/engine-voices'),
        import('@babelcast/engine-pico'),
        import('@babelcast/engine-rhvoice'),
      ]);
      const options = config.engines.options;
      // Pico's English is an option (engines.voices.en.voice "pico:en-GB"): in the round trip
      // through the recogniser it did worse than RHVoice and flite (docs/benchmarks.md, voices).
      const picoEnglish = config.engines.voices.en?.voice?.startsWith('pico') === true;
      return new voices.EmbeddedVoices({
        ...o,
        preferred: [
          new rhvoice.RhvoiceTts(options.rhvoice),
          new pico.PicoTts({
            ...(picoEnglish ? {} : { languages: ['de', 'es', 'fr', 'it'] }),
            ...options.pico,
          }),
        ],
        voices: config.engines.voices,
      });
    },
    pico: async (o) => new (await import('@babelcast/engine-pico')).PicoTts(o),
    rhvoice: async (o) => new (await import('@babelcast/engine-rhvoice')).RhvoiceTts(o),
    'espeak-ng': async (o) => new (await import('@babelcast/engine-espeak')).EspeakTts(o),
    flite: async (o) => new (await import('@babelcast/engine-flite')).FliteTts(o),
    'aws-polly': async (o, _c, hooks) =>
      new (await import('@babelcast/engine-aws')).AwsPollyTts({
        ...o,
        onCost: (usd: number) => hooks.onCost('tts', 'aws-polly', usd),
      }),
    fake: async (o) => new FakeTts(o),
  },
  codec: {
    opus: async (o) => new (await import('@babelcast/codec-opus')).OpusCodec(o),
    pcm: async () => new PcmCodec(),
  },
};

/** Engine names per preset. `embedded` works on a fresh machine with Debian packages and no downloads. */
export const PRESETS: Record<BabelcastConfig['engines']['preset'], Record<EngineKind, string>> = {
  embedded: { vad: 'silero', asr: 'pocketsphinx', mt: 'apertium', tts: 'embedded', codec: 'opus' },
  fake: { vad: 'energy', asr: 'fake', mt: 'fake', tts: 'fake', codec: 'pcm' },
};

export function engineNames(config: BabelcastConfig): Record<EngineKind, string> {
  const preset = PRESETS[config.engines.preset];
  const e = config.engines;
  return {
    vad: e.vad ?? preset.vad,
    asr: e.asr ?? preset.asr,
    mt: e.mt ?? preset.mt,
    tts: e.tts ?? preset.tts,
    codec: e.codec ?? preset.codec,
  };
}

/** The configuration names an engine the registry does not have. */
export class UnknownEngineError extends BabelcastError {
  constructor(message: string) {
    super(ErrorCode.UNKNOWN_ENGINE, message);
    this.name = 'UnknownEngineError';
  }
}

/** An engine's options: its `engines.options` entry, with `engines.modelsDir` unless it names its own. */
export function engineOptions(config: BabelcastConfig, id: string): Options {
  const options = { ...(config.engines.options[id] ?? {}) };
  if (config.engines.modelsDir && options.modelsDir === undefined)
    options.modelsDir = config.engines.modelsDir;
  return options;
}

/** Instantiate (not yet init) the configured engines. */
export async function createEngines(
  config: BabelcastConfig,
  hooks: EngineHooks = noHooks,
): Promise<EngineSet> {
  const names = engineNames(config);
  const make = async <K extends EngineKind>(kind: K, name: string = names[kind]) => {
    const table = ENGINE_REGISTRY[kind] as Record<string, Factory<unknown>>;
    const factory = table[name];
    if (!factory) {
      throw new UnknownEngineError(
        `unknown ${kind} engine "${name}" (available: ${Object.keys(table).join(', ')})`,
      );
    }
    return factory(engineOptions(config, name), config, hooks);
  };
  let mt = (await make('mt')) as MtEngine;
  const { fallbackMt, retryBackoffMs } = config.engines;
  if (fallbackMt && fallbackMt !== names.mt)
    mt = new FallbackMt(mt, (await make('mt', fallbackMt)) as MtEngine, { onFallback: hooks.onFallback });
  // Voices are not wrapped: the embedded voice set already replaces a voice that fails before
  // its first audio with the next one, which is what a retry would do.
  if (retryBackoffMs > 0)
    mt = new RetryingMt(mt, {
      backoffMs: retryBackoffMs,
      onRetry: (err) => hooks.onRetry?.('mt', err.engineId),
    });
  return {
    vad: (await make('vad')) as VadEngine,
    asr: (await make('asr')) as AsrEngine,
    mt,
    tts: (await make('tts')) as TtsEngine,
    codec: (await make('codec')) as AudioEncoderEngine,
  };
}

/** Initialise all engines in parallel; on failure close what started and rethrow. */
export async function initEngines(engines: EngineSet): Promise<void> {
  const all = Object.values(engines);
  const results = await Promise.allSettled(all.map((e) => e.init()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await closeEngines(engines);
    throw failed.reason;
  }
}

export async function closeEngines(engines: EngineSet): Promise<void> {
  await Promise.allSettled(Object.values(engines).map((e) => e.close()));
}
