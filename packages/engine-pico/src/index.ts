export { PICO_VOICES, PicoTts, type PicoTtsOptions } from './pico-tts.ts';
