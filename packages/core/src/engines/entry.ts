/**
 * `@babelcast/core/engines`: what an engine package needs (the engine interfaces, errors,
 * EngineBase, retry and fallback, and the PCM/WAV helpers) and nothing else. Engines import this
 * instead of the core barrel, so a recogniser's worker thread does not load the hub, the
 * sessions and prom-client along with it.
 */
export * from '../audio/index.ts';
export * from './index.ts';
export * from './stream-guard.ts';
export * from './child-synth/index.ts';
/** The speaker's rate: every recogniser and VAD takes audio at it. */
export { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';
