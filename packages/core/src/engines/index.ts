export * from './asr.ts';
export * from './codec.ts';
export * from './engine.ts';
export * from './engine-base.ts';
export * from './fallback.ts';
export * from './mt.ts';
export * from './retry.ts';
export * from './tts.ts';
export * from './vad.ts';

import type { AsrEngine } from './asr.ts';
import type { AudioEncoderEngine } from './codec.ts';
import type { MtEngine } from './mt.ts';
import type { TtsEngine } from './tts.ts';
import type { VadEngine } from './vad.ts';

/** The five engines a session pipeline runs on. */
export interface EngineSet {
  vad: VadEngine;
  asr: AsrEngine;
  mt: MtEngine;
  tts: TtsEngine;
  codec: AudioEncoderEngine;
}
