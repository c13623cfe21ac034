import {
  boundedControl,
  ChildProcessVoice,
  type SynthesizeRequest,
  type TtsChunk,
  VOICE_CONTROL_BOUNDS,
  withVolume,
} from '@babelcast/core/engines';

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

/**
 * Each voice's mean pitch in Hz, the unit of flite's int_f0_target_mean. Measured with flite 2.2
 * (Debian 12): the median F0 of a sentence at the default, and setting the feature to these values
 * leaves it there. rms ignores the feature, so it has no entry and keeps its pitch.
 */
const VOICE_F0_MEAN_HZ: Record<string, number> = { kal16: 95, kal: 95, slt: 167, awb: 127 };

/** flite has no rate option; duration_stretch scales every segment (2 = half speed). */
function rateArgs(voice: string, rate: number | undefined): string[] {
  const factor = boundedControl(rate, VOICE_CONTROL_BOUNDS.rate);
  if (factor === 1) return [];
  const stretch = (VOICE_DURATION_STRETCH[voice] ?? 1) / factor;
  return ['--setf', `duration_stretch=${stretch.toFixed(3)}`];
}

/** flite has no pitch option either; moving the target mean moves the whole contour with it. */
function pitchArgs(voice: string, pitch: number | undefined): string[] {
  const mean = VOICE_F0_MEAN_HZ[voice];
  const factor = boundedControl(pitch, VOICE_CONTROL_BOUNDS.pitch);
  if (mean === undefined || factor === 1) return [];
  return ['--setf', `int_f0_target_mean=${Math.round(mean * factor)}`];
}

/** flite's arguments for one sentence, except where to write it. */
export function fliteArgs(
  voice: string,
  text: string,
  request: Pick<SynthesizeRequest, 'rate' | 'pitch'>,
): string[] {
  // `-t` takes the next argument verbatim, so text starting with "-" is still text; flite's
  // "-f /dev/stdin" was seen to hang, hence no stdin.
  return ['-voice', voice, ...rateArgs(voice, request.rate), ...pitchArgs(voice, request.pitch), '-t', text];
}

/**
 * CMU Flite, English only. Far more intelligible than espeak-ng for English. Not streaming: the
 * flite CLI synthesises the whole input before it writes the WAV (checked with flite 2.2), and it
 * cannot open Node's stdout (a socket), so it writes a temporary file that is read when flite
 * exits. The first chunk arrives when the sentence is done (~RTF 0.02: tens of ms per sentence).
 * Rate and pitch are flite features; volume is a gain on the samples, since flite has no control.
 */
export class FliteTts extends ChildProcessVoice {
  private readonly preferred: string[];

  constructor(options: FliteTtsOptions = {}) {
    super({
      id: 'flite',
      description: 'CMU Flite (English, child process per sentence)',
      streaming: false,
      binary: options.binary ?? 'flite',
      installHint: 'apt-get install flite',
    });
    this.capabilities.languages = ['en'];
    this.preferred = options.voices ?? DEFAULT_VOICES;
  }

  /** The flite voice in use (after init). */
  get voice(): string | undefined {
    return this.installedVoices('en')[0];
  }

  protected async *speak(text: string, voice: string, request: SynthesizeRequest): AsyncIterable<TtsChunk> {
    const args = fliteArgs(voice, text, request);
    for await (const chunk of this.runChildThroughFile((wav) => [...args, '-o', wav], request.signal))
      yield { ...chunk, samples: withVolume(chunk.samples, request.volume) };
  }

  protected async start(): Promise<void> {
    const listing = await this.probe(['-lv']);
    const installed = new Set(`${listing.stdout}${listing.stderr}`.replace(/^.*?:/, '').trim().split(/\s+/));
    const voice = this.preferred.find((v) => installed.has(v));
    const voices = new Map(voice ? [['en', [voice]]] : []);
    this.useVoices(voices, `none of the voices ${this.preferred.join(', ')} is built into ${this.binary}`);
  }
}
