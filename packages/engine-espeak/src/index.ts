export { CompositeTts, type CompositeTtsOptions } from './composite-tts.ts';
export { EspeakTts, type EspeakTtsOptions } from './espeak-tts.ts';
export { FliteTts, type FliteTtsOptions } from './flite-tts.ts';
export { type SynthProcessSpec, synthesizeWithChild } from './synth-process.ts';
export { type WavStreamFormat, WavStreamParser } from './wav-stream-parser.ts';
