/**
 * Loads a recording as speaker audio: 16 kHz mono PCM16, what the speaker WebSocket carries.
 * Other sample rates and channel counts are converted (downmix, then resample) so any PCM WAV
 * can be replayed; anything that is not a 16-bit PCM WAV is refused with a message saying why.
 */
import { readFileSync } from 'node:fs';
import { parseWav, resample, toMono } from '@babelcast/core';
import { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';

export interface SpeakerAudio {
  samples: Int16Array;
  /** What was done to the file, e.g. "downmixed 2 channels, resampled 44100 → 16000 Hz"; empty if nothing. */
  converted: string;
  durationMs: number;
}

export class AudioInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AudioInputError';
  }
}

export function loadSpeakerAudio(path: string): SpeakerAudio {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new AudioInputError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return speakerAudioFrom(bytes, path);
}

export function speakerAudioFrom(bytes: Uint8Array, name = 'input'): SpeakerAudio {
  let wav: ReturnType<typeof parseWav>;
  try {
    wav = parseWav(bytes);
  } catch (err) {
    throw new AudioInputError(
      `${name} is not a usable WAV file (${(err as Error).message}); need 16-bit PCM WAV, ideally 16 kHz mono`,
    );
  }
  if (wav.channels < 1 || wav.sampleRate < 1000) {
    throw new AudioInputError(
      `${name}: implausible WAV header (${wav.channels} channels, ${wav.sampleRate} Hz)`,
    );
  }
  const steps: string[] = [];
  let samples = wav.samples;
  if (wav.channels > 1) {
    samples = toMono(wav);
    steps.push(`downmixed ${wav.channels} channels`);
  }
  if (wav.sampleRate !== SPEAKER_SAMPLE_RATE) {
    samples = resample(samples, wav.sampleRate, SPEAKER_SAMPLE_RATE);
    steps.push(`resampled ${wav.sampleRate} → ${SPEAKER_SAMPLE_RATE} Hz`);
  }
  if (samples.length === 0) throw new AudioInputError(`${name} contains no audio samples`);
  return {
    samples,
    converted: steps.join(', '),
    durationMs: (samples.length * 1000) / SPEAKER_SAMPLE_RATE,
  };
}
