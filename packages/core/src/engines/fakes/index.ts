import type { EngineSet } from '../index.ts';
import { EnergyVad } from './energy-vad.ts';
import { FakeAsr } from './fake-asr.ts';
import { FakeMt } from './fake-mt.ts';
import { FakeTts } from './fake-tts.ts';
import { PcmCodec } from './pcm-codec.ts';

export { EnergyVad, FakeAsr, FakeMt, FakeTts, PcmCodec };

/** A complete, deterministic engine set for tests. */
export function createFakeEngines(): EngineSet {
  return {
    vad: new EnergyVad(),
    asr: new FakeAsr(),
    mt: new FakeMt(),
    tts: new FakeTts(),
    codec: new PcmCodec(),
  };
}
