/** `transcribe` and `translate` with the fake engines: what a user sees on stdout, and failures. */
import { speechClip, speechManifest } from '@babelcast/core/testing';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from './run-cli.ts';

describe('babelcast transcribe', () => {
  it('prints one line per segment of the recording', async () => {
    // long-en-02: five clips joined with 0.5–1.5 s of silence; the 0.5 s gap may not split.
    const run = await runCli([
      'transcribe',
      speechClip('long-en-02.wav'),
      '--lang',
      'en',
      '--engines',
      'fake',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const l of lines) expect(l).toMatch(/^Alpha( [a-z]+)*\.$/);
    expect(run.stderr).toContain(`${lines.length} segments, 45.0 s of audio`);
    expect(run.stderr).toMatch(/segments, 45\.0 s of audio, real-time factor [\d.]+ \(fake \+ energy\)/);
  });

  it('--json gives segments with times, then a summary', async () => {
    const row = speechManifest().find((r) => r.file === 'ljspeech-02.wav')!;
    const run = await runCli(['transcribe', speechClip(row.file), '--engines', 'fake', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const summary = lines.pop();
    expect(summary).toMatchObject({ type: 'summary', engines: { vad: 'energy', asr: 'fake' } });
    expect(summary.audioMs).toBe(Math.round(row.durationS * 1000));
    expect(lines.length).toBeGreaterThan(0);
    for (const s of lines) {
      expect(s).toMatchObject({ type: 'segment', segment: expect.any(Number), text: expect.any(String) });
      expect(s.endMs).toBeGreaterThan(s.startMs);
      expect(s.endMs).toBeLessThanOrEqual(summary.audioMs + 1);
    }
  });

  it('refuses a language the recogniser does not know', async () => {
    const run = await runCli([
      'transcribe',
      speechClip('ljspeech-01.wav'),
      '--lang',
      'ja',
      '--engines',
      'fake',
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/does not know "ja"/);
  });
});

describe('babelcast translate', () => {
  it('translates stdin to stdout line by line, keeping empty lines', async () => {
    const run = await spawnCli(
      ['translate', '--from', 'en', '--to', 'es', '--engines', 'fake'],
      'Hello there.\n\nHow are you?\n',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('[es] Hello there.\n\n[es] How are you?\n');
  });

  it('exits non-zero naming the pair the engine lacks', async () => {
    const run = await spawnCli(['translate', '--from', 'en', '--to', 'ja', '--engines', 'fake'], 'Hello.\n');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/cannot translate en→ja/);
  });
});
