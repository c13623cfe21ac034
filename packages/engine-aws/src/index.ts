export {
  type AwsClientOptions,
  checkAwsAccess,
  toEngineError,
} from './aws-client.ts';
export { AwsPollyTts, type AwsPollyTtsOptions, POLLY_USD_PER_MILLION_CHARS } from './aws-polly-tts.ts';
export {
  AwsTranslateMt,
  type AwsTranslateMtOptions,
  TRANSLATE_USD_PER_MILLION_CHARS,
} from './aws-translate-mt.ts';
export { DEFAULT_POLLY_VOICES, type PollyVoice, type PollyVoiceEngine } from './polly-voices.ts';
export { AMAZON_TRANSLATE_LANGUAGES } from './translate-languages.ts';
export {
  AwsTranscribeAsr,
  type AwsTranscribeAsrOptions,
  DEFAULT_TRANSCRIBE_LANGUAGES,
  TRANSCRIBE_MIN_BILLED_SECONDS,
  TRANSCRIBE_USD_PER_MINUTE,
  type TranscribeSender,
} from './aws-transcribe-asr.ts';
