export { EspeakTts, type EspeakTtsOptions } from './espeak-tts.ts';
