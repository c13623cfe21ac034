import type { EngineInfo } from '../engine.ts';
import type { VadCapabilities, VadEngine, VadStream } from '../vad.ts';
import { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';

/**
 * Energy-threshold VAD with an adaptive noise floor. Deterministic and dependency-free: the fake
 * for tests and the last-resort fallback when neither Silero nor WebRTC VAD can load.
 */
export class EnergyVad implements VadEngine {
  readonly info: EngineInfo = {
    id: 'energy',
    kind: 'vad',
    description: 'energy threshold with adaptive noise floor (no model)',
    local: true,
  };
  readonly capabilities: VadCapabilities = { sampleRate: SPEAKER_SAMPLE_RATE, frameSamples: 320 };

  constructor(private readonly options: { thresholdDb?: number } = {}) {}

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  createStream(): VadStream {
    const marginDb = this.options.thresholdDb ?? 12;
    let floorDb = -60;
    return {
      process(frame: Float32Array): number {
        let sum = 0;
        for (let i = 0; i < frame.length; i++) sum += frame[i]! * frame[i]!;
        const db = 10 * Math.log10(sum / Math.max(1, frame.length) + 1e-12);
        // The floor follows quiet frames quickly and loud ones slowly, so speech does not raise it.
        floorDb = db < floorDb ? floorDb * 0.9 + db * 0.1 : floorDb * 0.999 + db * 0.001;
        floorDb = Math.max(-90, Math.min(floorDb, -25));
        const above = db - floorDb - marginDb;
        return above <= 0 ? 0 : Math.min(1, 0.5 + above / 12);
      },
      reset() {
        floorDb = -60;
      },
      close() {},
    };
  }
}
