export { EmbeddedVoices, type EmbeddedVoicesOptions, type VoiceChoice } from './embedded-voices.ts';
