import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
import { synthesizeWithChild } from './synth-process.ts';

const run = promisify(execFile);

export interface FliteTtsOptions {
  /** Path of the flite binary. */
  binary?: string;
  /**
   * Voices to try, best first; the first one `flite -lv` lists is used. kal16 (16 kHz diphone) is
   * the most intelligible of Debian's built-in voices for machine-read sentences.
   */
  voices?: string[];
}

const DEFAULT_VOICES = ['kal16', 'slt', 'rms', 'awb', 'kal'];

/** Voices that ship a duration_stretch other than 1 (measured: kal and kal16 speak 10 % slower). */
const VOICE_DURATION_STRETCH: Record<string, number> = { kal: 1.1, kal16: 1.1 };

/** flite has no rate option; duration_stretch scales every segment (2 = half speed). */
function rateArgs(voice: string, rate: number): string[] {
  if (rate === 1) return [];
  const stretch = (VOICE_DURATION_STRETCH[voice] ?? 1) / Math.min(3, Math.max(0.33, rate));
  return ['--setf', `duration_stretch=${stretch.toFixed(3)}`];
}

/**
 * CMU Flite, English only. Far more intelligible than espeak-ng for English. Not streaming: the
 * flite CLI synthesises the whole input before it writes the WAV (checked with flite 2.2), and it
 * cannot open Node's stdout (a socket), so it writes a temporary file that is read when flite
 * exits. The first chunk arrives when the sentence is done (~RTF 0.02: tens of ms per sentence).
 */
export class FliteTts extends EngineBase implements TtsEngine {
  readonly info: EngineInfo = {
    id: 'flite',
    kind: 'tts',
    description: 'CMU Flite (English, child process per sentence)',
    local: true,
  };
  readonly capabilities: TtsCapabilities = { languages: ['en'], streaming: false };
  private readonly binary: string;
  private readonly preferred: string[];
  private selected: string | undefined;

  constructor(options: FliteTtsOptions = {}) {
    super();
    this.binary = options.binary ?? 'flite';
    this.preferred = options.voices ?? DEFAULT_VOICES;
  }

  /** The flite voice in use (after init). */
  get voice(): string | undefined {
    return this.selected;
  }

  protected async stop(): Promise<void> {
    // Children live for one sentence and are killed through each request's signal.
  }

  async *synthesize(request: SynthesizeRequest): AsyncIterable<TtsChunk> {
    if (request.language !== 'en')
      throw new EngineError(this.info.id, `flite speaks English only, not "${request.language}"`, false);
    this.assertOpen();
    const voice = this.selected!;
    const text = request.text.trim();
    if (!text) return;
    // `-t` takes the next argument verbatim, so text starting with "-" is still text; flite's
    // "-f /dev/stdin" was seen to hang, hence no stdin.
    const args = ['-voice', voice, ...rateArgs(voice, request.rate ?? 1), '-t', text];
    const dir = await mkdtemp(join(tmpdir(), 'babelcast-flite-'));
    const wav = join(dir, 'sentence.wav');
    try {
      yield* synthesizeWithChild({
        engineId: this.info.id,
        command: this.binary,
        args: [...args, '-o', wav],
        signal: request.signal,
        installHint: 'apt-get install flite',
        outputFile: wav,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  protected async start(): Promise<void> {
    let listing: string;
    try {
      const out = await run(this.binary, ['-lv'], { timeout: 10_000 });
      listing = out.stdout + out.stderr;
    } catch (cause) {
      throw new EngineUnavailableError(
        this.info.id,
        `cannot run "${this.binary} -lv" (apt-get install flite)`,
        {
          cause,
        },
      );
    }
    const installed = new Set(listing.replace(/^.*?:/, '').trim().split(/\s+/));
    const voice = this.preferred.find((v) => installed.has(v));
    if (!voice)
      throw new EngineUnavailableError(
        this.info.id,
        `none of the voices ${this.preferred.join(', ')} is built into ${this.binary} (apt-get install flite)`,
      );
    this.selected = voice;
  }
}
