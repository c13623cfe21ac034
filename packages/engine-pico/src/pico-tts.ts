import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ChildProcessVoice,
  concatInt16,
  controlPercent,
  EngineError,
  type SynthesizeRequest,
  type TtsChunk,
  VOICE_CONTROL_BOUNDS,
  withVolume,
} from '@babelcast/core/engines';

/**
 * SVOX Pico's voices (Debian `libttspico-data`, Apache-2.0): one per language, its text-analysis
 * and signal-generation lingware files. English has two; en-US speaks by default.
 */
export const PICO_VOICES: Record<string, { voice: string; files: [string, string] }[]> = {
  es: [{ voice: 'es-ES', files: ['es-ES_ta.bin', 'es-ES_zl0_sg.bin'] }],
  fr: [{ voice: 'fr-FR', files: ['fr-FR_ta.bin', 'fr-FR_nk0_sg.bin'] }],
  it: [{ voice: 'it-IT', files: ['it-IT_ta.bin', 'it-IT_cm0_sg.bin'] }],
  de: [{ voice: 'de-DE', files: ['de-DE_ta.bin', 'de-DE_gl0_sg.bin'] }],
  en: [
    { voice: 'en-US', files: ['en-US_ta.bin', 'en-US_lh0_sg.bin'] },
    { voice: 'en-GB', files: ['en-GB_ta.bin', 'en-GB_kh0_sg.bin'] },
  ],
};

export interface PicoTtsOptions {
  /** Path of pico2wave (Debian `libttspico-utils`). */
  binary?: string;
  /** Where the lingware is; pico2wave itself reads Debian's path, this only tells what is installed. */
  langDir?: string;
  /** Languages to offer (default: every one whose lingware is installed). */
  languages?: string[];
}

const SAMPLE_RATE = 16000;
/** Pico ends every sentence with 0.5–1 s of silence (more with markup): kept short, it is lag. */
const KEEP_TRAILING_MS = 120;
const SILENCE_LEVEL = 200;
const CHUNK_SAMPLES = SAMPLE_RATE / 4;

/**
 * SVOX Pico through one supervised `pico2wave` child per sentence. Measured against the WASM build
 * of the same engine in process (bench/voices/pico-wasm-vs-child.mjs): the child gives the first
 * audio sooner (mean 129 ms vs 203 ms on FLORES sentences) and runs at RTF 0.009 vs 0.030, off the
 * event loop that serves listeners, so the child it is. pico2wave writes a whole file per sentence.
 * Prosody uses Pico's own markup for speed and pitch; volume is a gain on the samples, because
 * Pico's volume markup did not attenuate (measured with 1.0+git20130326).
 */
export class PicoTts extends ChildProcessVoice {
  private readonly langDir: string;
  private readonly only: string[] | undefined;

  constructor(options: PicoTtsOptions = {}) {
    super({
      id: 'pico',
      description: 'SVOX Pico (pico2wave child per sentence; Debian non-free lingware)',
      streaming: false,
      binary: options.binary ?? 'pico2wave',
      installHint: 'babelcast setup --voices (Debian non-free: libttspico-utils, libttspico-data)',
    });
    this.langDir = options.langDir ?? '/usr/share/pico/lang';
    this.only = options.languages;
  }

  voicesFor(language: string): string[] {
    return [...this.installedVoices(language)];
  }

  protected async *speak(text: string, voice: string, request: SynthesizeRequest): AsyncIterable<TtsChunk> {
    const marked = withMarkup(text, request);
    if (!marked) return;
    const parts: Int16Array[] = [];
    // `--` ends the options: text that starts with "-" is still text.
    for await (const c of this.runChildThroughFile(
      (wav) => ['-l', voice, '-w', wav, '--', marked],
      request.signal,
    )) {
      if (c.sampleRate !== SAMPLE_RATE)
        throw new EngineError(this.info.id, `unexpected sample rate ${c.sampleRate}`, false);
      parts.push(c.samples);
    }
    const samples = withVolume(trimTrailingSilence(concatInt16(parts)), request.volume);
    for (let at = 0; at < samples.length; at += CHUNK_SAMPLES)
      yield { samples: samples.slice(at, at + CHUNK_SAMPLES), sampleRate: SAMPLE_RATE };
  }

  protected async start(): Promise<void> {
    await this.probe(['--usage']);
    const voices = new Map<string, string[]>();
    for (const [language, options] of Object.entries(PICO_VOICES)) {
      if (this.only && !this.only.includes(language)) continue;
      const installed = options
        .filter((o) => o.files.every((f) => existsSync(join(this.langDir, f))))
        .map((o) => o.voice);
      if (installed.length > 0) voices.set(language, installed);
    }
    this.useVoices(voices, `no Pico lingware in ${this.langDir}`);
  }
}

/** Pico reads `<…>` as markup: the text's own angle brackets are spoken as a pause instead. */
function withMarkup(text: string, request: SynthesizeRequest): string {
  const plain = text.replace(/[<>]/g, ' ').trim();
  if (!plain) return '';
  // Pico's markup takes percent levels, attribute values in double quotes only.
  const speed = controlPercent(request.rate, VOICE_CONTROL_BOUNDS.rate);
  const pitch = controlPercent(request.pitch, VOICE_CONTROL_BOUNDS.pitch);
  let out = plain;
  if (pitch !== 100) out = `<pitch level="${pitch}">${out}</pitch>`;
  if (speed !== 100) out = `<speed level="${speed}">${out}</speed>`;
  return out;
}

function trimTrailingSilence(samples: Int16Array): Int16Array {
  let end = samples.length;
  while (end > 0 && Math.abs(samples[end - 1]!) < SILENCE_LEVEL) end--;
  return samples.subarray(0, Math.min(samples.length, end + (KEEP_TRAILING_MS * SAMPLE_RATE) / 1000));
}
