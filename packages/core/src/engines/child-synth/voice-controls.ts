/**
 * The rate, pitch and volume a request asks for (multipliers, 1 = the voice's normal), turned into
 * what a synthesiser program accepts. Every child-process voice keeps within the same bounds, so a
 * language sounds no more extreme on one voice than on the next; the pipeline's prosody mapping
 * asks for far less than these (see pipeline/prosody), they stop a wild config or catch-up value.
 */
export interface ControlBounds {
  min: number;
  max: number;
}

export const VOICE_CONTROL_BOUNDS = {
  /** Slower than 0.3× or faster than 3× is no longer speech a listener can follow. */
  rate: { min: 0.3, max: 3 },
  /** An octave either way. */
  pitch: { min: 0.5, max: 2 },
  /** -14 dB to +6 dB: quieter is inaudible in a room, louder only clips. */
  volume: { min: 0.2, max: 2 },
} as const satisfies Record<string, ControlBounds>;

/** The multiplier within bounds; 1 when none was asked for (or it is not a number). */
export function boundedControl(multiplier: number | undefined, bounds: ControlBounds): number {
  if (multiplier === undefined || !Number.isFinite(multiplier)) return 1;
  return Math.min(bounds.max, Math.max(bounds.min, multiplier));
}

/** As a whole percentage, the unit of Pico's markup and RHVoice's options. */
export function controlPercent(multiplier: number | undefined, bounds: ControlBounds): number {
  return Math.round(100 * boundedControl(multiplier, bounds));
}

const INT16_MIN = -32768;
const INT16_MAX = 32767;

/**
 * Volume as a gain on the samples, for voices without a volume control that works (flite has
 * none; Pico's markup did not attenuate). Peaks beyond 16 bits are clipped rather than wrapped
 * around, which would click. Neutral volume returns the same array.
 */
export function withVolume(samples: Int16Array, volume: number | undefined): Int16Array {
  const gain = boundedControl(volume, VOICE_CONTROL_BOUNDS.volume);
  if (gain === 1) return samples;
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++)
    out[i] = Math.max(INT16_MIN, Math.min(INT16_MAX, Math.round(samples[i]! * gain)));
  return out;
}
