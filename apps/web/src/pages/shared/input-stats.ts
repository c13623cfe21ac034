/**
 * Microphone health, computed on the speaker's page from the 16 kHz stream: level (RMS and peak,
 * dBFS), clipping, and a signal-to-noise estimate. SNR is estimated without knowing where speech
 * is: short blocks of a few seconds are ranked by energy; the quiet ones are the noise floor
 * (pauses between words), the loud ones are speech. Good enough to say "too noisy", which is all
 * the page needs; it is not a measurement instrument.
 */
import { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';

export const BLOCK_MS = 20;
const BLOCK_SAMPLES = (SPEAKER_SAMPLE_RATE * BLOCK_MS) / 1000;
/** A sample this close to full scale counts as clipped (converters rarely reach exactly 1.0). */
export const CLIP_LEVEL = 0.99;
export const SILENCE_DBFS = -100;

export interface InputLevels {
  rmsDbfs: number;
  peakDbfs: number;
  /** null until enough audio has been seen to tell noise from speech. */
  snrDb: number | null;
  clipping: boolean;
}

export type InputWarning = 'clipping' | 'tooQuiet' | 'noisy';

export function toDbfs(amplitude: number): number {
  return amplitude > 0 ? Math.max(SILENCE_DBFS, 20 * Math.log10(amplitude)) : SILENCE_DBFS;
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))));
  return sorted[i]!;
}

export class InputMeter {
  /** Energy (dBFS) of each 20 ms block in the analysis window, oldest first. */
  private blocks: number[] = [];
  private blockSum = 0;
  private blockCount = 0;
  private windowSumSq = 0;
  private windowCount = 0;
  private windowPeak = 0;
  private windowClipped = 0;

  constructor(private readonly windowBlocks = 250) {}

  push(samples: Float32Array): void {
    for (let i = 0; i < samples.length; i++) {
      const x = samples[i]!;
      const a = Math.abs(x);
      this.blockSum += x * x;
      this.blockCount++;
      this.windowSumSq += x * x;
      this.windowCount++;
      if (a > this.windowPeak) this.windowPeak = a;
      if (a >= CLIP_LEVEL) this.windowClipped++;
      if (this.blockCount === BLOCK_SAMPLES) {
        this.blocks.push(toDbfs(Math.sqrt(this.blockSum / this.blockCount)));
        if (this.blocks.length > this.windowBlocks) this.blocks.shift();
        this.blockSum = 0;
        this.blockCount = 0;
      }
    }
  }

  /**
   * Peak and clip count measured on the raw device samples, before the low-pass filter rounds off
   * the very peaks that clip.
   */
  noteRaw(peak: number, clipped: number): void {
    if (peak > this.windowPeak) this.windowPeak = peak;
    this.windowClipped += clipped;
  }

  /** Levels since the previous call (RMS, peak, clipping); SNR over the last few seconds. */
  take(): InputLevels {
    const rms = this.windowCount ? Math.sqrt(this.windowSumSq / this.windowCount) : 0;
    // A handful of clipped samples in a second is audible as crackle; one is not.
    const clipping = this.windowClipped >= 3;
    const levels: InputLevels = {
      rmsDbfs: round1(toDbfs(rms)),
      peakDbfs: round1(toDbfs(this.windowPeak)),
      snrDb: this.snr(),
      clipping,
    };
    this.windowSumSq = 0;
    this.windowCount = 0;
    this.windowPeak = 0;
    this.windowClipped = 0;
    return levels;
  }

  /** Speech level (90th percentile block) minus noise floor (10th percentile block). */
  snr(): number | null {
    if (this.blocks.length < 50) return null;
    const sorted = [...this.blocks].sort((a, b) => a - b);
    const noise = percentile(sorted, 0.1);
    const speech = percentile(sorted, 0.9);
    if (speech <= SILENCE_DBFS) return null;
    return round1(speech - noise);
  }

  /** Level of the loud blocks, i.e. how loud the speech is (dBFS), or null before enough audio. */
  speechLevel(): number | null {
    if (this.blocks.length < 50) return null;
    return percentile(
      [...this.blocks].sort((a, b) => a - b),
      0.9,
    );
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Thresholds chosen for speech recognition: below them, recognisers start to drop words. */
export const QUIET_SPEECH_DBFS = -45;
export const NOISY_SNR_DB = 15;

export function inputWarnings(levels: InputLevels, speechLevelDbfs: number | null): InputWarning[] {
  const out: InputWarning[] = [];
  if (levels.clipping) out.push('clipping');
  if (speechLevelDbfs !== null && speechLevelDbfs < QUIET_SPEECH_DBFS) out.push('tooQuiet');
  else if (levels.snrDb !== null && levels.snrDb < NOISY_SNR_DB) out.push('noisy');
  return out;
}
