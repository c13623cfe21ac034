/**
 * The replay contract (issue 5) against fake engines: what `babelcast replay --json` prints, in
 * what order, and how it fails. The fake recogniser turns each 400 ms of audible audio into one
 * word of the NATO alphabet and the fake translator prefixes `[lang]`, so text is predictable.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav, readWavFile } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import { CloseCode } from '@babelcast/protocol';
import type { RunningServer } from '@babelcast/server';
import { startTestServer } from '@babelcast/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speakerAudioFrom } from '../src/replay/index.ts';
import { runCli } from './run-cli.ts';

type Line = Record<string, unknown> & { type: string };
const parse = (stdout: string): Line[] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

const tmp = mkdtempSync(join(tmpdir(), 'babelcast-cli-test-'));

const norm = (text: unknown) =>
  String(text)
    .replace(/\[[a-z]{2}\]/g, ' ')
    .toLowerCase()
    .replace(/[^a-z ]+/g, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean);

describe.each([
  ['simultaneous', []],
  ['sentence', ['--mode', 'sentence']],
] as const)('babelcast replay --json (own server, fake engines, %s mode)', (mode, modeArgs) => {
  let lines: Line[];
  let code: number;
  let stderr: string;
  beforeAll(async () => {
    const run = await runCli([
      'replay',
      speechClip('long-en-02.wav'),
      '--source',
      'en',
      '--listen',
      'es,fr',
      '--engines',
      'fake',
      ...modeArgs,
      '--speed',
      '8',
      '--json',
    ]);
    code = run.code;
    stderr = run.stderr;
    lines = parse(run.stdout);
  }, 60_000);

  it('exits 0 and prints only JSON lines, the summary last', () => {
    expect(code, stderr).toBe(0);
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.at(-1)!.type).toBe('summary');
    const types = new Set(lines.slice(0, -1).map((l) => l.type));
    expect([...types].every((t) => ['partial', 'final', 'translation', 'draft', 'audio'].includes(t))).toBe(
      true,
    );
    // Drafts only in simultaneous mode.
    expect(types.has('draft')).toBe(mode === 'simultaneous');
  });

  it('gives every event the documented fields', () => {
    for (const l of lines.slice(0, -1)) {
      expect(typeof l.lang).toBe('string');
      expect(Number.isInteger(l.segment)).toBe(true);
      expect(Number.isInteger(l.seq)).toBe(true);
      expect(typeof l.mediaStartMs).toBe('number');
      expect(typeof l.mediaEndMs).toBe('number');
      expect(l.mediaEndMs as number).toBeGreaterThanOrEqual(l.mediaStartMs as number);
      expect(l.receivedMs as number).toBeGreaterThanOrEqual(0);
      if (l.type === 'audio') {
        expect(l.text).toBeUndefined();
        expect(typeof l.durationMs).toBe('number');
        expect(Number.isInteger(l.packetIndex)).toBe(true);
        expect(Number.isInteger(l.flags)).toBe(true);
      } else {
        expect(typeof l.text).toBe('string');
      }
    }
  });

  it("prints events in arrival order; each segment's translations say what its final says; voice after text", () => {
    const events = lines.slice(0, -1);
    const received = events.map((l) => l.receivedMs as number);
    expect(received).toEqual([...received].sort((a, b) => a - b));
    const finals = events.filter((l) => l.type === 'final');
    // long-en-02 is five FLEURS clips separated by silence: one segment per clip.
    expect(finals.length).toBeGreaterThanOrEqual(4);
    expect(finals.every((f) => f.lang === 'en')).toBe(true);
    for (const lang of ['es', 'fr']) {
      const translations = events.filter((l) => l.type === 'translation' && l.lang === lang);
      if (mode === 'sentence')
        expect(translations.map((t) => t.text)).toEqual(finals.map((f) => `[${lang}] ${f.text}`));
      for (const f of finals) {
        const own = translations.filter((t) => t.segment === f.segment);
        expect(own.flatMap((t) => norm(t.text))).toEqual(norm(f.text));
        if (mode === 'sentence') expect(events.indexOf(f)).toBeLessThan(events.indexOf(own[0]!));
      }
      // Every translated chunk is voiced, its first packet after its caption, with its span.
      for (const t of translations) {
        const iAudio = events.findIndex(
          (l) =>
            l.type === 'audio' &&
            l.lang === lang &&
            l.segment === t.segment &&
            l.mediaStartMs === t.mediaStartMs &&
            l.mediaEndMs === t.mediaEndMs,
        );
        expect(iAudio, JSON.stringify(t)).toBeGreaterThan(events.indexOf(t));
      }
    }
    if (mode === 'simultaneous') {
      // Some segment is committed in several chunks, and drafts come before its last one.
      const perSegment = new Map<number, number>();
      for (const t of events.filter((l) => l.type === 'translation' && l.lang === 'es'))
        perSegment.set(t.segment as number, (perSegment.get(t.segment as number) ?? 0) + 1);
      expect(Math.max(...perSegment.values())).toBeGreaterThan(1);
    }
    // Partials come from the first listener only: never two partials with the same seq.
    const partialSeqs = events.filter((l) => l.type === 'partial').map((l) => l.seq);
    expect(partialSeqs.length).toBeGreaterThan(0);
    expect(new Set(partialSeqs).size).toBe(partialSeqs.length);
  });

  it('summarises transcripts, latency, lag behind the speaker, erasure and translated audio per language', () => {
    const s = lines.at(-1)! as unknown as {
      transcript: Record<string, string>;
      latencyMs: Record<string, { n: number; p50: number; p95: number }>;
      lagMs: Record<string, Record<'text' | 'voice', { n: number; mean: number; p50: number; p95: number }>>;
      speechMoments: number;
      unshownMoments: Record<string, number>;
      unvoicedMoments: Record<string, number>;
      voiceDriftMs: Record<string, number | null>;
      erasure: Record<string, number | null>;
      fromLastWordMs: Record<string, { n: number; mean: number }>;
      audioMs: Record<string, number>;
    };
    const finals = lines.filter((l) => l.type === 'final').map((l) => l.text);
    expect(s.transcript.en).toBe(finals.join(' '));
    expect(s.transcript.es).toMatch(/^\[es\] Alpha/);
    expect(s.transcript.fr).toMatch(/^\[fr\] Alpha/);
    for (const stage of ['partial', 'final', 'translation', 'audio']) {
      const p = s.latencyMs[stage]!;
      expect(p.n, stage).toBeGreaterThan(0);
      expect(p.p95).toBeGreaterThanOrEqual(p.p50);
    }
    // About 40 s of speech in 45 s of audio.
    expect(s.speechMoments).toBeGreaterThan(250);
    expect(s.speechMoments).toBeLessThan(450);
    for (const lang of ['es', 'fr']) {
      expect(s.unshownMoments[lang]).toBe(0);
      expect(s.unvoicedMoments[lang]).toBe(0);
      const { text, voice } = s.lagMs[lang]!;
      expect(text.n).toBe(s.speechMoments);
      expect(voice.n).toBe(s.speechMoments);
      // Text is shown before its voice is heard; both after the speech was sent.
      expect(text.p50).toBeGreaterThan(0);
      expect(voice.mean).toBeGreaterThan(text.mean);
      expect(typeof s.voiceDriftMs[lang]).toBe('number');
      expect(s.erasure[lang]).toBeGreaterThanOrEqual(0);
      if (mode === 'sentence') expect(s.erasure[lang]).toBe(0);
      const sum = lines
        .filter((l) => l.type === 'audio' && l.lang === lang)
        .reduce((n, l) => n + (l.durationMs as number), 0);
      expect(s.audioMs[lang]).toBe(sum);
      // Fake voice: 50 ms per character of the translation, in 20 ms frames.
      expect(s.audioMs[lang]).toBeGreaterThan(1000);
    }
    // From the last word: one final per segment, one translation and first voice per segment and language.
    expect(s.fromLastWordMs.final!.n).toBe(finals.length);
    expect(s.fromLastWordMs.translation!.n).toBe(2 * finals.length);
    expect(s.fromLastWordMs.firstVoice!.n).toBe(2 * finals.length);
  });
});

describe('babelcast replay refusals', () => {
  let server: RunningServer;
  let token: string;
  beforeAll(async () => {
    // The server tests' own test server: fake engines, memory store, a free port, no logs.
    server = await startTestServer();
    token = await server.createApiToken('replayer');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('exits non-zero with the close code and reason when a listener is refused', async () => {
    // The fake translator has no en→ja pair.
    const run = await runCli([
      'replay',
      speechClip('ljspeech-01.wav'),
      '--listen',
      'es,ja',
      '--server',
      server.url,
      '--token',
      token,
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`close code ${CloseCode.UNSUPPORTED_PAIR}`);
    expect(run.stderr).toContain('en→ja');
  });

  it('exits non-zero with the server answer when the token is refused', async () => {
    const run = await runCli([
      'replay',
      speechClip('ljspeech-01.wav'),
      '--listen',
      'es',
      '--server',
      server.url,
      '--token',
      'not-a-valid-token',
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/refused.*HTTP 401.*BC_ERR_UNAUTHORIZED/);
  });

  it('exits non-zero and says why when the file is not a WAV', async () => {
    const notWav = join(tmp, 'notes.wav');
    writeFileSync(notWav, 'these are not audio samples\n');
    const run = await runCli(['replay', notWav, '--listen', 'es', '--server', server.url, '--token', token]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/notes\.wav is not a usable WAV file/);
  });
});

describe('speaker audio conversion', () => {
  it('downmixes and resamples a 44.1 kHz stereo file to 16 kHz mono', () => {
    const mono = readWavFile(speechClip('ljspeech-01.wav')).samples.subarray(0, 16000);
    const up = new Int16Array(44100 * 2);
    for (let i = 0; i < 44100; i++) {
      const v = mono[Math.min(mono.length - 1, Math.floor((i * 16000) / 44100))]!;
      up[2 * i] = v;
      up[2 * i + 1] = v;
    }
    const wav = new Uint8Array(encodeWav(up, 44100));
    // encodeWav writes mono headers; patch channels = 2 and byte rate for the stereo data.
    const view = new DataView(wav.buffer);
    view.setUint16(22, 2, true);
    view.setUint32(24, 44100, true);
    view.setUint32(28, 44100 * 4, true);
    view.setUint16(32, 4, true);
    const audio = speakerAudioFrom(wav, 'stereo.wav');
    expect(audio.converted).toBe('downmixed 2 channels, resampled 44100 → 16000 Hz');
    expect(Math.abs(audio.samples.length - 16000)).toBeLessThanOrEqual(2);
    expect(Math.round(audio.durationMs)).toBe(1000);
  });
});
