import { EngineError, EngineUnavailableError, rmsDbfs } from '@babelcast/core/engines';
import { childProcessesNamed, collectSpeech, describeTtsConformance } from '@babelcast/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FliteTts, fliteArgs } from './flite-tts.ts';

describeTtsConformance('flite', () => new FliteTts(), {
  language: 'en',
  text: 'Hello, good morning everyone.',
  child: 'flite',
});

describe('flite arguments for prosody', () => {
  const text = 'Hello there.';

  it('leaves the command line as it was for a neutral request', () => {
    const plain = ['-voice', 'kal16', '-t', text];
    expect(fliteArgs('kal16', text, {})).toEqual(plain);
    expect(fliteArgs('kal16', text, { rate: 1, pitch: 1 })).toEqual(plain);
  });

  it("raises the target mean pitch from the voice's own mean", () => {
    expect(fliteArgs('kal16', text, { pitch: 1.2 })).toEqual([
      '-voice',
      'kal16',
      '--setf',
      'int_f0_target_mean=114',
      '-t',
      text,
    ]);
    expect(fliteArgs('slt', text, { pitch: 0.9 })).toContain('int_f0_target_mean=150');
  });

  it("stretches durations for rate, from the voice's own stretch, within 0.3–3×", () => {
    expect(fliteArgs('kal16', text, { rate: 0.5 })).toContain('duration_stretch=2.200');
    expect(fliteArgs('slt', text, { rate: 1.25 })).toContain('duration_stretch=0.800');
    expect(fliteArgs('slt', text, { rate: 10 })).toContain('duration_stretch=0.333');
  });

  it('keeps pitch within an octave, and leaves a voice that ignores the feature alone', () => {
    expect(fliteArgs('kal16', text, { pitch: 5 })).toContain('int_f0_target_mean=190');
    expect(fliteArgs('kal16', text, { pitch: 0.1 })).toContain('int_f0_target_mean=48');
    expect(fliteArgs('rms', text, { pitch: 1.2 })).toEqual(['-voice', 'rms', '-t', text]);
  });
});

/** Median F0 (Hz) of the loud 40 ms windows of 16 kHz speech, by autocorrelation over 60–400 Hz. */
function medianPitchHz(samples: Int16Array): number {
  const window = 640;
  const found: number[] = [];
  for (let at = 0; at + window <= samples.length; at += window / 2) {
    const x = samples.subarray(at, at + window);
    const energy = x.reduce((sum, v) => sum + v * v, 0);
    if (energy / window < 500 ** 2) continue;
    let best = { lag: 0, r: 0 };
    for (let lag = 40; lag <= 267; lag++) {
      let r = 0;
      for (let i = 0; i + lag < window; i++) r += x[i]! * x[i + lag]!;
      if (r > best.r) best = { lag, r };
    }
    if (best.r > 0.3 * energy) found.push(16000 / best.lag);
  }
  found.sort((a, b) => a - b);
  return found[Math.floor(found.length / 2)]!;
}

describe('FliteTts', () => {
  const tts = new FliteTts();
  beforeAll(() => tts.init());
  afterAll(() => tts.close());
  const text = 'The quick brown fox jumps over the lazy dog.';

  it('uses the kal16 voice at 16 kHz', async () => {
    expect(tts.voice).toBe('kal16');
    const speech = await collectSpeech(tts.synthesize({ text: 'Testing one two three.', language: 'en' }));
    expect(speech.sampleRate).toBe(16000);
  });

  it('slows down for a rate below 1 and speeds up above 1', async () => {
    const normal = await collectSpeech(tts.synthesize({ text, language: 'en' }));
    const slow = await collectSpeech(tts.synthesize({ text, language: 'en', rate: 0.5 }));
    const fast = await collectSpeech(tts.synthesize({ text, language: 'en', rate: 1.25 }));
    expect(slow.seconds / normal.seconds).toBeCloseTo(2, 0);
    expect(fast.seconds / normal.seconds).toBeCloseTo(0.8, 1);
  });

  it('speaks louder and softer by the volume asked, with the same words', async () => {
    const normal = await collectSpeech(tts.synthesize({ text, language: 'en' }));
    const soft = await collectSpeech(tts.synthesize({ text, language: 'en', volume: 0.5 }));
    const loud = await collectSpeech(tts.synthesize({ text, language: 'en', volume: 1.4 }));
    expect(soft.samples.length).toBe(normal.samples.length);
    expect(rmsDbfs(soft.samples) - rmsDbfs(normal.samples)).toBeCloseTo(-6, 0);
    expect(rmsDbfs(loud.samples) - rmsDbfs(normal.samples)).toBeCloseTo(2.9, 0);
  });

  it('speaks higher for a pitch above 1, for as long', async () => {
    const normal = await collectSpeech(tts.synthesize({ text, language: 'en' }));
    const high = await collectSpeech(tts.synthesize({ text, language: 'en', pitch: 1.2 }));
    expect(medianPitchHz(high.samples) / medianPitchHz(normal.samples)).toBeCloseTo(1.2, 1);
    expect(high.seconds / normal.seconds).toBeCloseTo(1, 1);
  });

  it('speaks text that starts like an option instead of obeying it', async () => {
    const speech = await collectSpeech(tts.synthesize({ text: '-lv -o /tmp/owned.wav', language: 'en' }));
    expect(speech.seconds).toBeGreaterThan(0.5);
  });

  it('yields nothing for blank text and refuses other languages', async () => {
    expect((await collectSpeech(tts.synthesize({ text: ' ', language: 'en' }))).chunks).toBe(0);
    await expect(collectSpeech(tts.synthesize({ text: 'hola', language: 'es' }))).rejects.toBeInstanceOf(
      EngineError,
    );
  });

  it('kills flite when aborted mid-synthesis', async () => {
    const abort = new AbortController();
    const pending = collectSpeech(
      tts.synthesize({ text: 'A rather long sentence. '.repeat(2000), language: 'en', signal: abort.signal }),
    );
    let settled = false;
    pending
      .catch(() => {})
      .finally(() => {
        settled = true;
      });
    while (!settled && childProcessesNamed('flite').length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(settled).toBe(false);
    abort.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    expect(childProcessesNamed('flite')).toEqual([]);
  });
});

describe('FliteTts configuration errors', () => {
  it('is unavailable when none of the requested voices is installed', async () => {
    await expect(new FliteTts({ voices: ['no_such_voice'] }).init()).rejects.toBeInstanceOf(
      EngineUnavailableError,
    );
  });
});
