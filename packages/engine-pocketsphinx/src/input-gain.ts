/**
 * Slow automatic gain in front of pocketsphinx. Its live cepstral mean normalisation starts from a
 * fixed guess of the input level and adapts over seconds, so quiet input (several FLEURS clips sit
 * at -66 dBFS RMS, a distant microphone is similar) decodes as nothing or as noise words until
 * it has adapted. Bringing loud passages to a fixed level first removes that dependence.
 *
 * The gain follows the loudest recent 10 ms block: it drops at once when speech gets louder (no
 * clipping) and rises slowly afterwards, so it does not pump between words.
 */
export interface InputGainOptions {
  /** RMS the loudest recent block is brought to (int16 units; 3000 ≈ -21 dBFS). */
  targetRms?: number;
  /** Never amplify more than this (keeps hiss quiet when nobody speaks). */
  maxGain?: number;
}

const BLOCK = 160;
/** Per-block decay of the remembered peak level: about 3 s to halve at 100 blocks/s. */
const PEAK_RELEASE = 0.9977;

export class InputGain {
  private readonly targetRms: number;
  private readonly maxGain: number;
  private peakRms = 0;
  private gain: number;

  constructor(options: InputGainOptions = {}) {
    this.targetRms = options.targetRms ?? 3000;
    this.maxGain = options.maxGain ?? 50;
    // Start high and let the first loud block pull it down: rising slowly from 1 would waste the
    // first seconds of a quiet speaker.
    this.gain = this.maxGain;
  }

  /** Returns a new array; the input is left untouched (callers may reuse their buffers). */
  process(input: Int16Array): Int16Array {
    const out = new Int16Array(input.length);
    for (let start = 0; start < input.length; start += BLOCK) {
      const end = Math.min(input.length, start + BLOCK);
      let sum = 0;
      for (let i = start; i < end; i++) sum += input[i]! * input[i]!;
      const rms = Math.sqrt(sum / (end - start));
      this.peakRms = Math.max(rms, this.peakRms * PEAK_RELEASE);
      const wanted =
        this.peakRms > 0 ? Math.min(this.maxGain, Math.max(1, this.targetRms / this.peakRms)) : 1;
      // Down at once (a louder word must not clip), up by at most ~1 % per block.
      this.gain = wanted < this.gain ? wanted : Math.min(wanted, this.gain * 1.01);
      for (let i = start; i < end; i++) {
        out[i] = Math.max(-32768, Math.min(32767, Math.round(input[i]! * this.gain)));
      }
    }
    return out;
  }

  reset(): void {
    this.peakRms = 0;
    this.gain = this.maxGain;
  }
}
