export { FliteTts, type FliteTtsOptions } from './flite-tts.ts';
