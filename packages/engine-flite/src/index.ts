export { FliteTts, type FliteTtsOptions, fliteArgs } from './flite-tts.ts';
