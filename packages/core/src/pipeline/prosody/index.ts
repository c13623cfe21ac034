export { NEUTRAL_SPEAKER, type SpeakerProsody, SpeakerProsodyMeter } from './speaker-prosody.ts';
export { type SpeechFeatures, speechFeatures } from './speech-features.ts';
export {
  combinedRate,
  NEUTRAL_VOICE,
  VOICE_PROSODY_BOUNDS,
  type VoiceProsody,
  voiceProsodyFor,
} from './voice-prosody.ts';
