import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ChildProcessVoice,
  controlPercent,
  type SynthesizeRequest,
  type TtsChunk,
  VOICE_CONTROL_BOUNDS,
} from '@babelcast/core/engines';

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

/**
 * RHVoice (statistical parametric voices, far more natural than flite or espeak-ng) through one
 * `RHVoice-test` child per sentence, which streams its WAV to a pipe as it synthesises, so the
 * first audio comes before the sentence is done. Rate, pitch and volume are its own options.
 */
export class RhvoiceTts extends ChildProcessVoice {
  private readonly voicesDir: string;

  constructor(options: RhvoiceTtsOptions = {}) {
    super({
      id: 'rhvoice',
      description: 'RHVoice (RHVoice-test child per sentence; Debian non-free voices)',
      streaming: true,
      binary: options.binary ?? 'RHVoice-test',
      installHint:
        'babelcast setup --voices (Debian non-free: rhvoice, rhvoice-english, rhvoice-brazilian-portuguese)',
    });
    this.voicesDir = options.voicesDir ?? '/usr/share/RHVoice/voices';
  }

  voicesFor(language: string): string[] {
    return [...this.installedVoices(language)];
  }

  protected speak(text: string, voice: string, request: SynthesizeRequest): AsyncIterable<TtsChunk> {
    const { rate, pitch, volume } = VOICE_CONTROL_BOUNDS;
    return this.runChild({
      args: [
        ...['-p', voice],
        ...['-r', String(controlPercent(request.rate, rate))],
        ...['-t', String(controlPercent(request.pitch, pitch))],
        ...['-v', String(controlPercent(request.volume, volume))],
        ...['-o', '-'],
      ],
      // Plain text on stdin (no -s): markup in the text is read, not obeyed.
      stdin: text,
      signal: request.signal,
    });
  }

  protected async start(): Promise<void> {
    await this.probe(['--version']);
    const voices = new Map<string, string[]>();
    for (const v of RHVOICE_VOICES) {
      if (!existsSync(join(this.voicesDir, v.voice, 'voice.info'))) continue;
      voices.set(v.language, [...(voices.get(v.language) ?? []), v.voice]);
    }
    this.useVoices(voices, `no usable voice in ${this.voicesDir}`);
  }
}
