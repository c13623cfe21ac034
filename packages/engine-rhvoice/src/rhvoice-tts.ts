import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
 * The RHVoice voices Babelcast uses, best first per language, with their licences. Debian's
 * rhvoice-english also installs evgeniy-eng and lyubov (CC-BY-NC-ND: not for use here) and alan;
 * they are never chosen.
 */
export const RHVOICE_VOICES: { voice: string; language: string; licence: string }[] = [
  { voice: 'slt', language: 'en', licence: 'LGPL-2.1+' },
  { voice: 'bdl', language: 'en', licence: 'LGPL-2.1+' },
  { voice: 'clb', language: 'en', licence: 'LGPL-2.1+' },
  // Brazilian Portuguese; Apertium's Portuguese is European, still far closer than espeak-ng.
  { voice: 'Leticia-F123', language: 'pt', licence: 'CC-BY-SA-4.0' },
];

export interface RhvoiceTtsOptions {
  /** Path of RHVoice-test (Debian `rhvoice`). */
  binary?: string;
  /** Where Debian installs the voices (only used to tell which are installed). */
  voicesDir?: string;
}

const INSTALL_HINT =
  'babelcast setup --voices (Debian non-free: rhvoice, rhvoice-english, rhvoice-brazilian-portuguese)';

/**
 * RHVoice (statistical parametric voices, far more natural than flite or espeak-ng) through one
 * `RHVoice-test` child per sentence, which streams its WAV to a pipe as it synthesises, so the
 * first audio comes before the sentence is done. Rate, pitch and volume are its own options.
 */
export class RhvoiceTts extends EngineBase implements TtsEngine {
  readonly info: EngineInfo = {
    id: 'rhvoice',
    kind: 'tts',
    description: 'RHVoice (RHVoice-test child per sentence; Debian non-free voices)',
    local: true,
  };
  readonly capabilities: TtsCapabilities = { languages: [], streaming: true };
  private readonly binary: string;
  private readonly voicesDir: string;
  private voices = new Map<string, string[]>();

  constructor(options: RhvoiceTtsOptions = {}) {
    super();
    this.binary = options.binary ?? 'RHVoice-test';
    this.voicesDir = options.voicesDir ?? '/usr/share/RHVoice/voices';
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
      throw new EngineError(this.info.id, `no RHVoice voice for language "${request.language}"`, false);
    this.assertOpen();
    // RHVoice-test falls back to its default voice for an unknown name: only installed ones pass.
    const voice = request.voice && voices.includes(request.voice) ? request.voice : voices[0]!;
    const text = request.text.trim();
    if (!text) return;
    const percent = (x: number | undefined, min: number, max: number) =>
      String(Math.round(Math.min(max, Math.max(min, 100 * (x ?? 1)))));
    yield* synthesizeWithChild({
      engineId: this.info.id,
      command: this.binary,
      args: [
        '-p',
        voice,
        '-r',
        percent(request.rate, 30, 300),
        '-t',
        percent(request.pitch, 50, 200),
        '-v',
        percent(request.volume, 20, 200),
        '-o',
        '-',
      ],
      // Plain text on stdin (no -s): markup in the text is read, not obeyed.
      stdin: text,
      signal: request.signal,
      installHint: INSTALL_HINT,
    });
  }

  protected async start(): Promise<void> {
    try {
      await run(this.binary, ['--version'], { timeout: 10_000 });
    } catch (cause) {
      throw new EngineUnavailableError(this.info.id, `cannot run ${this.binary} (${INSTALL_HINT})`, {
        cause,
      });
    }
    const voices = new Map<string, string[]>();
    for (const v of RHVOICE_VOICES) {
      if (!existsSync(join(this.voicesDir, v.voice, 'voice.info'))) continue;
      voices.set(v.language, [...(voices.get(v.language) ?? []), v.voice]);
    }
    if (voices.size === 0)
      throw new EngineUnavailableError(
        this.info.id,
        `no usable voice in ${this.voicesDir} (${INSTALL_HINT})`,
      );
    this.voices = voices;
    this.capabilities.languages = [...voices.keys()].sort();
  }
}
