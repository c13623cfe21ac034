/**
 * The node's capacity for admission control (see CapacityPlanner in @babelcast/core for the model).
 * The recogniser's real-time factor comes from config when the operator measured it on their
 * machine, else from the figure this project measured for the configured recogniser.
 */
import { availableParallelism } from 'node:os';
import { CapacityPlanner, type EngineSet } from '@babelcast/core';
import type { BabelcastConfig } from './config.ts';

/**
 * CPU seconds per second of audio, per recogniser (engine id), on one core.
 * - pocketsphinx: 0.19, bench/results/asr-vad.json (`pocketsphinx.rtf`); rounded up to 0.2.
 * - sherpa: not measured here; streaming zipformer on one thread, a cautious 0.3.
 * - aws-transcribe: the audio is only forwarded; 0.02 for framing and signing.
 * - fake: test engine.
 * Anything else: 0.5 until measured (set `limits.asrRealTimeFactor`).
 */
export const ASR_REAL_TIME_FACTOR: Record<string, number> = {
  pocketsphinx: 0.2,
  sherpa: 0.3,
  'aws-transcribe': 0.02,
  fake: 0.01,
};
const UNKNOWN_ASR_RTF = 0.5;

export function capacityPlanner(config: BabelcastConfig, engines: EngineSet): CapacityPlanner {
  const { limits } = config;
  return new CapacityPlanner({
    cores: limits.cpuCores ?? availableParallelism(),
    cpuBudget: limits.cpuBudget,
    asrRealTimeFactor:
      limits.asrRealTimeFactor ?? ASR_REAL_TIME_FACTOR[engines.asr.info.id] ?? UNKNOWN_ASR_RTF,
    languageCpuCost: limits.languageCpuCost,
    maxSessions: limits.maxSessions,
    maxLiveSessions: limits.maxLiveSessions,
  });
}
