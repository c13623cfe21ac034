/**
 * Engines on their own, without a server: recognise a recording (VAD endpointing + ASR stream,
 * the same policy the session pipeline applies) and translate sentences. `transcribe` and
 * `translate` print these; the accuracy and throughput benchmarks measure them.
 */
import { performance } from 'node:perf_hooks';
import {
  Endpointer,
  type EngineKind,
  type EngineSet,
  makeReadable,
  type MtEngine,
  supportsPair,
} from '@babelcast/core';
import { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';
import {
  type BabelcastConfig,
  closeEngines,
  createEngines,
  engineNames,
  initEngines,
  loadConfig,
} from '@babelcast/server';

/** Cheap stand-ins for the engine kinds a command does not use, so it never loads their models. */
const UNUSED: Record<EngineKind, string> = {
  vad: 'energy',
  asr: 'fake',
  mt: 'fake',
  tts: 'fake',
  codec: 'pcm',
};

export interface EngineChoice {
  configFile?: string;
  preset?: 'embedded' | 'fake';
  /** Engine names per kind, over the preset (e.g. { mt: 'fake' }). */
  names?: Partial<Record<EngineKind, string>>;
}

/** Build and initialise the configured engines of the kinds in `needed`; the rest are fakes. */
export async function configuredEngines(
  choice: EngineChoice,
  needed: EngineKind[],
): Promise<{ engines: EngineSet; config: BabelcastConfig; names: Record<EngineKind, string> }> {
  const base = loadConfig({
    file: choice.configFile,
    overrides: { engines: { ...(choice.preset ? { preset: choice.preset } : {}), ...choice.names } },
  });
  const names = engineNames(base);
  const pick: Partial<Record<EngineKind, string>> = {};
  for (const kind of Object.keys(UNUSED) as EngineKind[])
    pick[kind] = needed.includes(kind) ? names[kind] : UNUSED[kind];
  const config = loadConfig({
    file: choice.configFile,
    overrides: { engines: { ...(choice.preset ? { preset: choice.preset } : {}), ...pick } },
  });
  const engines = await createEngines(config);
  await initEngines(engines);
  return { engines, config, names: engineNames(config) };
}

/** `use` with the configured engines of the kinds in `needed`; they are closed when it is done. */
export async function withConfiguredEngines<T>(
  choice: EngineChoice,
  needed: EngineKind[],
  use: (engines: EngineSet, config: BabelcastConfig) => Promise<T>,
): Promise<T> {
  const { engines, config } = await configuredEngines(choice, needed);
  try {
    return await use(engines, config);
  } finally {
    await closeEngines(engines);
  }
}

export interface TranscribedSegment {
  segment: number;
  startMs: number;
  endMs: number;
  /** As the engine returned it. */
  raw: string;
  /** As listeners see it (cased and punctuated when the engine does not do it). */
  text: string;
}

export interface Transcription {
  segments: TranscribedSegment[];
  /** Processing time over audio duration (0.1 = ten times faster than real time). */
  rtf: number;
  audioMs: number;
  processingMs: number;
}

export async function transcribeSamples(
  engines: Pick<EngineSet, 'vad' | 'asr'>,
  samples: Int16Array,
  language: string,
  pipeline: Pick<BabelcastConfig['pipeline'], 'silenceMs' | 'maxUtteranceMs' | 'vadThreshold'>,
): Promise<Transcription> {
  if (!engines.asr.capabilities.languages.includes(language)) {
    throw new Error(
      `the ${engines.asr.info.id} recogniser does not know "${language}" (it knows ${engines.asr.capabilities.languages.join(', ')})`,
    );
  }
  const vad = engines.vad.createStream();
  const asr = engines.asr.createStream({ language });
  const endpointer = new Endpointer(vad, {
    frameSamples: engines.vad.capabilities.frameSamples,
    sampleRate: SPEAKER_SAMPLE_RATE,
    silenceMs: pipeline.silenceMs,
    maxUtteranceMs: pipeline.maxUtteranceMs,
    threshold: pipeline.vadThreshold,
  });
  const segments: TranscribedSegment[] = [];
  const toMs = (s: number) => Math.round((s * 1000) / SPEAKER_SAMPLE_RATE);
  let startSample = 0;
  const started = performance.now();
  const onEvents = async (events: ReturnType<Endpointer['push']>) => {
    for (const ev of events) {
      if (ev.type === 'start') startSample = ev.atSample;
      else if (ev.type === 'audio') asr.write(ev.samples);
      else {
        const result = await asr.finishUtterance();
        const raw = result.text.trim();
        if (!raw) continue;
        const text = engines.asr.capabilities.punctuated ? raw : makeReadable(raw, language);
        segments.push({
          segment: segments.length + 1,
          startMs: toMs(startSample),
          endMs: toMs(ev.atSample),
          raw,
          text,
        });
      }
    }
  };
  try {
    const chunk = SPEAKER_SAMPLE_RATE / 5;
    for (let at = 0; at < samples.length; at += chunk)
      await onEvents(endpointer.push(samples.subarray(at, at + chunk)));
    await onEvents(endpointer.flush());
  } finally {
    asr.close();
    vad.close();
  }
  const processingMs = performance.now() - started;
  const audioMs = (samples.length * 1000) / SPEAKER_SAMPLE_RATE;
  return { segments, rtf: processingMs / audioMs, audioMs, processingMs };
}

export function checkPair(mt: MtEngine, from: string, to: string): void {
  if (!supportsPair(mt.capabilities, from, to)) {
    const pairs = mt.capabilities.pairs.map((p) => `${p.from}→${p.to}`).join(' ');
    throw new Error(
      `the ${mt.info.id} translator cannot translate ${from}→${to} (it has: ${pairs || 'no pairs'})`,
    );
  }
}
