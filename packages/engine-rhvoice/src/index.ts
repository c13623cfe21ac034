export { RHVOICE_VOICES, RhvoiceTts, type RhvoiceTtsOptions } from './rhvoice-tts.ts';
