import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { synthesizeWithChild } from '@babelcast/engine-espeak';

const run = promisify(execFile);

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

const INSTALL_HINT = 'babelcast setup --voices (Debian non-free: libttspico-utils, libttspico-data)';
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
export class PicoTts extends EngineBase implements TtsEngine {
  readonly info: EngineInfo = {
    id: 'pico',
    kind: 'tts',
    description: 'SVOX Pico (pico2wave child per sentence; Debian non-free lingware)',
    local: true,
  };
  readonly capabilities: TtsCapabilities = { languages: [], streaming: false };
  private readonly binary: string;
  private readonly langDir: string;
  private readonly only: string[] | undefined;
  private voices = new Map<string, string[]>();

  constructor(options: PicoTtsOptions = {}) {
    super();
    this.binary = options.binary ?? 'pico2wave';
    this.langDir = options.langDir ?? '/usr/share/pico/lang';
    this.only = options.languages;
  }

  protected async stop(): Promise<void> {
    // Children live for one sentence and are killed through each request's signal.
  }

  voicesFor(language: string): string[] {
    return this.voices.get(language) ?? [];
  }

  async *synthesize(request: SynthesizeRequest): AsyncIterable<TtsChunk> {
    const voices = this.voices.get(request.language);
    if (!voices)
      throw new EngineError(this.info.id, `no Pico voice for language "${request.language}"`, false);
    this.assertOpen();
    const voice = request.voice && voices.includes(request.voice) ? request.voice : voices[0]!;
    const text = withMarkup(request);
    if (!text) return;
    const dir = await mkdtemp(join(tmpdir(), 'babelcast-pico-'));
    const wav = join(dir, 'sentence.wav');
    const parts: Int16Array[] = [];
    try {
      for await (const c of synthesizeWithChild({
        engineId: this.info.id,
        command: this.binary,
        // `--` ends the options: text that starts with "-" is still text.
        args: ['-l', voice, '-w', wav, '--', text],
        signal: request.signal,
        installHint: INSTALL_HINT,
        outputFile: wav,
      })) {
        if (c.sampleRate !== SAMPLE_RATE)
          throw new EngineError(this.info.id, `unexpected sample rate ${c.sampleRate}`, false);
        parts.push(c.samples);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const samples = withGain(trimTrailingSilence(concat(parts)), request.volume ?? 1);
    for (let at = 0; at < samples.length; at += CHUNK_SAMPLES)
      yield { samples: samples.slice(at, at + CHUNK_SAMPLES), sampleRate: SAMPLE_RATE };
  }

  protected async start(): Promise<void> {
    try {
      await run(this.binary, ['--usage'], { timeout: 10_000 });
    } catch (cause) {
      throw new EngineUnavailableError(this.info.id, `cannot run ${this.binary} (${INSTALL_HINT})`, {
        cause,
      });
    }
    const voices = new Map<string, string[]>();
    for (const [language, options] of Object.entries(PICO_VOICES)) {
      if (this.only && !this.only.includes(language)) continue;
      const installed = options
        .filter((o) => o.files.every((f) => existsSync(join(this.langDir, f))))
        .map((o) => o.voice);
      if (installed.length > 0) voices.set(language, installed);
    }
    if (voices.size === 0)
      throw new EngineUnavailableError(this.info.id, `no Pico lingware in ${this.langDir} (${INSTALL_HINT})`);
    this.voices = voices;
    this.capabilities.languages = [...voices.keys()].sort();
  }
}

/** Pico reads `<…>` as markup: the text's own angle brackets are spoken as a pause instead. */
function withMarkup(request: SynthesizeRequest): string {
  const text = request.text.replace(/[<>]/g, ' ').trim();
  if (!text) return '';
  // Pico's markup takes percent levels, attribute values in double quotes only.
  const speed = Math.round(Math.min(300, Math.max(30, 100 * (request.rate ?? 1))));
  const pitch = Math.round(Math.min(200, Math.max(50, 100 * (request.pitch ?? 1))));
  let out = text;
  if (pitch !== 100) out = `<pitch level="${pitch}">${out}</pitch>`;
  if (speed !== 100) out = `<speed level="${speed}">${out}</speed>`;
  return out;
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function trimTrailingSilence(samples: Int16Array): Int16Array {
  let end = samples.length;
  while (end > 0 && Math.abs(samples[end - 1]!) < SILENCE_LEVEL) end--;
  return samples.subarray(0, Math.min(samples.length, end + (KEEP_TRAILING_MS * SAMPLE_RATE) / 1000));
}

function withGain(samples: Int16Array, gain: number): Int16Array {
  if (gain === 1) return samples;
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++)
    out[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i]! * gain)));
  return out;
}
