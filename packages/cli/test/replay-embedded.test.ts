/**
 * The replay contract against the embedded engines (pocketsphinx + Silero, Apertium, espeak-ng/flite,
 * Opus): real recognition, translation and voice end to end through `babelcast replay`.
 */
import { speechClip } from '@babelcast/core/testing';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

describe('babelcast replay --engines embedded', () => {
  it('recognises, translates and voices a real English clip', async () => {
    const run = await runCli([
      'replay',
      speechClip('ljspeech-01.wav'),
      '--listen',
      'es',
      '--engines',
      'embedded',
      '--speed',
      '2',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const summary = lines.at(-1);
    expect(summary.type).toBe('summary');
    // LJ001-0001 opens with "Printing, in the only sense with which we are at present concerned…"
    expect(summary.transcript.en.toLowerCase()).toMatch(/print|sense|present/);
    expect(summary.transcript.es.length).toBeGreaterThan(10);
    expect(summary.transcript.es).not.toBe(summary.transcript.en);
    expect(summary.audioMs.es).toBeGreaterThan(1000);
    expect(summary.latencyMs.final.n).toBeGreaterThan(0);
    expect(summary.latencyMs.audio.n).toBeGreaterThan(0);
    // Lag behind the speaker over every 100 ms of speech: each moment shown or counted as not.
    expect(summary.speechMoments).toBeGreaterThan(50);
    const { text, voice } = summary.lagMs.es;
    expect(text.n).toBeGreaterThan(0);
    expect(text.n + summary.unshownMoments.es).toBe(summary.speechMoments);
    expect(voice.n + summary.unvoicedMoments.es).toBe(summary.speechMoments);
    expect(summary.fromLastWordMs.final.n).toBe(summary.latencyMs.final.n);
  }, 90_000);
});
