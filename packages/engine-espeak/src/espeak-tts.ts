import { ChildProcessVoice, type SynthesizeRequest, type TtsChunk } from '@babelcast/core/engines';
import { parseEspeakVoices, voicesByLanguage } from './espeak-voices.ts';

export interface EspeakTtsOptions {
  /** Path of the espeak-ng binary. */
  binary?: string;
  /** Speaking rate in words per minute at `rate` 1 (espeak-ng's default is 175). */
  wordsPerMinute?: number;
  /** ISO 639-1 → espeak-ng voice name, overriding the discovered choice (e.g. { pt: 'pt-br' }). */
  voices?: Record<string, string>;
  /** Amplitude 0–200 (espeak-ng default 100). */
  amplitude?: number;
}

/**
 * Japanese voices read kana only; translated Japanese text is mostly kanji and would come out as
 * silence or letter names, so the language is not offered.
 */
const NOT_FROM_PLAIN_TEXT = new Set(['ja']);

/** espeak-ng's own ranges: -s 80–450 words per minute, -a 0–200 (100 normal), -p 0–99 (50 normal). */
const WPM = { min: 80, max: 450 };
const AMPLITUDE = { min: 0, max: 200 };
const PITCH = { min: 0, max: 99, normal: 50 };

const within = (x: number, range: { min: number; max: number }) =>
  Math.round(Math.min(range.max, Math.max(range.min, x)));

/**
 * Formant synthesis for ~100 languages: robotic but tiny, fast (RTF ~0.02) and fully local. One
 * espeak-ng child per sentence streams its WAV to a pipe, so the first audio comes at once.
 */
export class EspeakTts extends ChildProcessVoice {
  private readonly wordsPerMinute: number;
  private readonly amplitude: number;
  private readonly overrides: Record<string, string>;

  constructor(options: EspeakTtsOptions = {}) {
    super({
      id: 'espeak-ng',
      description: 'espeak-ng formant synthesis (child process per sentence)',
      streaming: true,
      binary: options.binary ?? 'espeak-ng',
      installHint: 'apt-get install espeak-ng',
    });
    this.wordsPerMinute = options.wordsPerMinute ?? 175;
    this.amplitude = options.amplitude ?? 100;
    this.overrides = options.voices ?? {};
  }

  /** The espeak-ng voice used for a language, if any. */
  voiceFor(language: string): string | undefined {
    return this.installedVoices(language)[0];
  }

  protected speak(text: string, voice: string, request: SynthesizeRequest): AsyncIterable<TtsChunk> {
    // The voice's own controls carry prosody: speed, amplitude and pitch.
    const wpm = within(this.wordsPerMinute * (request.rate ?? 1), WPM);
    const amplitude = within(this.amplitude * (request.volume ?? 1), AMPLITUDE);
    const pitch = within(PITCH.normal * (request.pitch ?? 1), PITCH);
    return this.runChild({
      args: [
        '-v',
        voice,
        '-s',
        String(wpm),
        '-a',
        String(amplitude),
        '-p',
        String(pitch),
        '--stdout',
        '--stdin',
      ],
      // On stdin, never as an argument: text that starts with "-" is still text.
      stdin: text,
      signal: request.signal,
    });
  }

  protected async start(): Promise<void> {
    const byLanguage = voicesByLanguage(parseEspeakVoices((await this.probe(['--voices'])).stdout));
    for (const code of NOT_FROM_PLAIN_TEXT) byLanguage.delete(code);
    for (const [code, name] of Object.entries(this.overrides)) byLanguage.set(code, name);
    const voices = new Map([...byLanguage].map(([code, name]) => [code, [name]]));
    this.useVoices(voices, 'espeak-ng lists no voices (reinstall espeak-ng-data)');
  }
}
