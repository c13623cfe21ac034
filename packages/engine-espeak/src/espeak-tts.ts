import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  EngineBase,
  EngineError,
  type EngineInfo,
  EngineUnavailableError,
  type SynthesizeRequest,
  type TtsCapabilities,
  type TtsChunk,
  type TtsEngine,
} from '@babelcast/core/engines';
import { parseEspeakVoices, voicesByLanguage } from './espeak-voices.ts';
import { synthesizeWithChild } from './synth-process.ts';

const run = promisify(execFile);

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

/** espeak-ng accepts 80–450 words per minute. */
const MIN_WPM = 80;
const MAX_WPM = 450;

/** Formant synthesis for ~100 languages: robotic but tiny, fast (RTF ~0.02) and fully local. */
export class EspeakTts extends EngineBase implements TtsEngine {
  readonly info: EngineInfo = {
    id: 'espeak-ng',
    kind: 'tts',
    description: 'espeak-ng formant synthesis (child process per sentence)',
    local: true,
  };
  readonly capabilities: TtsCapabilities = { languages: [], streaming: true };
  private readonly binary: string;
  private readonly wordsPerMinute: number;
  private readonly amplitude: number;
  private readonly overrides: Record<string, string>;
  private voices = new Map<string, string>();

  constructor(options: EspeakTtsOptions = {}) {
    super();
    this.binary = options.binary ?? 'espeak-ng';
    this.wordsPerMinute = options.wordsPerMinute ?? 175;
    this.amplitude = options.amplitude ?? 100;
    this.overrides = options.voices ?? {};
  }

  protected async stop(): Promise<void> {
    // Children live for one sentence and are killed through each request's signal.
  }

  /** The espeak-ng voice used for a language, if any. */
  voiceFor(language: string): string | undefined {
    return this.voices.get(language);
  }

  async *synthesize(request: SynthesizeRequest): AsyncIterable<TtsChunk> {
    const voice = this.voices.get(request.language);
    if (!voice)
      throw new EngineError(this.info.id, `no espeak-ng voice for language "${request.language}"`, false);
    this.assertOpen();
    const text = request.text.trim();
    if (!text) return;
    const wpm = Math.round(this.wordsPerMinute * (request.rate ?? 1));
    // -a 0–200 (100 normal), -p 0–99 (50 normal): the voice's own controls for prosody.
    const amplitude = Math.round(Math.min(200, Math.max(0, this.amplitude * (request.volume ?? 1))));
    const pitch = Math.round(Math.min(99, Math.max(0, 50 * (request.pitch ?? 1))));
    yield* synthesizeWithChild({
      engineId: this.info.id,
      command: this.binary,
      args: [
        '-v',
        voice,
        '-s',
        String(Math.min(MAX_WPM, Math.max(MIN_WPM, wpm))),
        '-a',
        String(amplitude),
        '-p',
        String(pitch),
        '--stdout',
        '--stdin',
      ],
      stdin: text,
      signal: request.signal,
      installHint: 'apt-get install espeak-ng',
    });
  }

  protected async start(): Promise<void> {
    let listing: string;
    try {
      listing = (await run(this.binary, ['--voices'], { timeout: 10_000 })).stdout;
    } catch (cause) {
      throw new EngineUnavailableError(
        this.info.id,
        `cannot run "${this.binary} --voices" (install it with: apt-get install espeak-ng)`,
        { cause },
      );
    }
    const voices = voicesByLanguage(parseEspeakVoices(listing));
    for (const code of NOT_FROM_PLAIN_TEXT) voices.delete(code);
    for (const [code, name] of Object.entries(this.overrides)) voices.set(code, name);
    if (voices.size === 0)
      throw new EngineUnavailableError(this.info.id, 'espeak-ng lists no voices (reinstall espeak-ng-data)');
    this.voices = voices;
    this.capabilities.languages = [...voices.keys()].sort();
  }
}
