/**
 * Typed access to the parts of `sherpa-onnx-node` (CommonJS, no type declarations) that Babelcast
 * uses. Loaded lazily so that a machine where the prebuilt addon cannot load still starts and
 * reports the engine as unavailable instead of crashing at import.
 */
import { createRequire } from 'node:module';
import { EngineUnavailableError } from '@babelcast/core/engines';

const require = createRequire(import.meta.url);

export interface SherpaWave {
  samples: Float32Array;
  sampleRate: number;
}

export interface SherpaVad {
  acceptWaveform(samples: Float32Array): void;
  isDetected(): boolean;
  isEmpty(): boolean;
  clear(): void;
  reset(): void;
  flush(): void;
}

export interface SherpaOnlineStream {
  acceptWaveform(wave: SherpaWave): void;
  inputFinished(): void;
}

export interface SherpaOnlineRecognizer {
  createStream(): SherpaOnlineStream;
  isReady(stream: SherpaOnlineStream): boolean;
  decode(stream: SherpaOnlineStream): void;
  reset(stream: SherpaOnlineStream): void;
  getResult(stream: SherpaOnlineStream): { text: string; tokens?: string[]; timestamps?: number[] };
}

export interface SherpaOfflineStream {
  acceptWaveform(wave: SherpaWave): void;
}

export interface SherpaOfflineRecognizer {
  createStream(): SherpaOfflineStream;
  decodeAsync(stream: SherpaOfflineStream): Promise<{ text: string; lang?: string }>;
}

export interface SherpaModule {
  Vad: new (config: Record<string, unknown>, bufferSizeInSeconds: number) => SherpaVad;
  OnlineRecognizer: new (config: Record<string, unknown>) => SherpaOnlineRecognizer;
  OfflineRecognizer: { createAsync(config: Record<string, unknown>): Promise<SherpaOfflineRecognizer> };
  version: string;
}

let loaded: SherpaModule | undefined;

/** Throws the loader's error when the native addon is missing for this platform. */
export function loadSherpa(): SherpaModule {
  loaded ??= require('sherpa-onnx-node') as SherpaModule;
  return loaded;
}

/** loadSherpa for an engine's start(): a missing addon makes that engine unavailable, with what to do. */
export function loadSherpaFor(engineId: string): SherpaModule {
  try {
    return loadSherpa();
  } catch (cause) {
    throw new EngineUnavailableError(
      engineId,
      `sherpa-onnx-node failed to load (${String(cause)}); run npm install (needs the sherpa-onnx-${process.platform}-${process.arch} package on this platform)`,
      { cause },
    );
  }
}
