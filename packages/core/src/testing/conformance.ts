/**
 * One conformance suite per engine kind, run against every engine, fake or real. An engine
 * package calls e.g. `describeMtConformance('apertium', () => new ApertiumMt(...))` from its own
 * test file. The suites check the contract the pipeline relies on, not quality (benchmarks do that).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatInt16, int16ToFloat32 } from '../audio/pcm.ts';
import { readWavFile } from '../audio/wav.ts';
import type { AsrEngine, AsrEvent } from '../engines/asr.ts';
import type { AudioEncoderEngine } from '../engines/codec.ts';
import type { Engine } from '../engines/engine.ts';
import type { MtEngine } from '../engines/mt.ts';
import { childProcessesNamed } from '../engines/child-synth/child-processes.ts';
import type { TtsChunk, TtsEngine } from '../engines/tts.ts';
import type { VadEngine } from '../engines/vad.ts';
import { checkMtKeepsOrder } from './mt-order.ts';
import { speechClip } from './shared-data.ts';
import { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';

function lifecycle<E extends Engine>(factory: () => E | Promise<E>): { get(): E } {
  let engine: E | undefined;
  beforeAll(async () => {
    engine = await factory();
    await engine.init();
    await engine.init(); // idempotent
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
    await engine?.close(); // idempotent
  });
  return {
    get() {
      if (!engine) throw new Error('engine not initialised');
      return engine;
    },
  };
}

function clipSamples(name: string): Int16Array {
  const wav = readWavFile(speechClip(name));
  expect(wav.sampleRate).toBe(SPEAKER_SAMPLE_RATE);
  return wav.samples;
}

export function describeVadConformance(name: string, factory: () => VadEngine | Promise<VadEngine>): void {
  describe(`VAD conformance: ${name}`, () => {
    const e = lifecycle(factory);
    it('declares info and a 16 kHz frame size', () => {
      expect(e.get().info.kind).toBe('vad');
      expect(e.get().capabilities.sampleRate).toBe(SPEAKER_SAMPLE_RATE);
      expect(e.get().capabilities.frameSamples).toBeGreaterThan(0);
    });
    it('reports silence as non-speech and real speech as speech', () => {
      const vad = e.get();
      const n = vad.capabilities.frameSamples;
      const stream = vad.createStream();
      const silent = Array.from({ length: 50 }, () => stream.process(new Float32Array(n)));
      expect(Math.max(...silent)).toBeLessThan(0.5);
      const speech = int16ToFloat32(clipSamples('ljspeech-01.wav'));
      let speechFrames = 0;
      let frames = 0;
      for (let at = 0; at + n <= speech.length; at += n) {
        const p = stream.process(speech.subarray(at, at + n));
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        frames++;
        if (p >= 0.5) speechFrames++;
      }
      // LJSpeech clips are mostly continuous reading.
      expect(speechFrames / frames).toBeGreaterThan(0.4);
      stream.close();
    });
  });
}

export function describeAsrConformance(
  name: string,
  factory: () => AsrEngine | Promise<AsrEngine>,
  options: { clip?: string; language?: string; expectWords?: RegExp } = {},
): void {
  describe(`ASR conformance: ${name}`, () => {
    const e = lifecycle(factory);
    const language = options.language ?? 'en';
    it('declares languages and streaming capability', () => {
      expect(e.get().info.kind).toBe('asr');
      expect(e.get().capabilities.languages).toContain(language);
    });
    it('recognises a real clip; streaming engines give timed interim hypotheses first', async () => {
      const asr = e.get();
      const interims: AsrEvent[] = [];
      const stream = asr.createStream({ language, onEvent: (ev) => interims.push(ev) });
      const samples = clipSamples(options.clip ?? 'ljspeech-01.wav');
      for (let at = 0; at < samples.length; at += 1600) stream.write(samples.subarray(at, at + 1600));
      const result = await stream.finishUtterance();
      expect(result.type).toBe('final');
      expect(result.text.trim().length).toBeGreaterThan(0);
      if (options.expectWords) expect(result.text.toLowerCase()).toMatch(options.expectWords);
      // Spans are utterance-relative and never beyond the audio written.
      const durationMs = (samples.length * 1000) / SPEAKER_SAMPLE_RATE;
      expect(result.endMs).toBeGreaterThan(result.startMs);
      expect(result.endMs).toBeLessThanOrEqual(durationMs + 50);
      if (asr.capabilities.streaming) {
        expect(interims.some((ev) => ev.text.trim() !== '')).toBe(true);
        for (const ev of interims) {
          expect(ev.type).toBe('interim');
          expect(ev.endMs).toBeLessThanOrEqual(durationMs + 50);
        }
        const ends = interims.map((ev) => ev.endMs);
        expect([...ends].sort((a, b) => a - b)).toEqual(ends);
      }
      // The stream is reusable for the next utterance and silence gives no words.
      stream.write(new Int16Array(SPEAKER_SAMPLE_RATE));
      const silent = await stream.finishUtterance();
      expect(silent.text.trim()).toBe('');
      stream.close();
    }, 60_000);
  });
}

export function describeMtConformance(
  name: string,
  factory: () => MtEngine | Promise<MtEngine>,
  options: { pair?: [string, string]; sample?: { text: string; expect: RegExp } } = {},
): void {
  describe(`MT conformance: ${name}`, () => {
    const e = lifecycle(factory);
    const [from, to] = options.pair ?? ['en', 'es'];
    it('declares the pair after init', () => {
      expect(e.get().info.kind).toBe('mt');
      expect(e.get().capabilities.pairs.some((p) => p.from === from && p.to === to)).toBe(true);
    });
    it('translates a sentence and keeps order under concurrency', async () => {
      const mt = e.get();
      const text = options.sample?.text ?? 'The house is big.';
      const out = await mt.translate({ text, from, to });
      expect(out.trim().length).toBeGreaterThan(0);
      if (options.sample) expect(out).toMatch(options.sample.expect);
      // Each concurrent call must get its own sentence's translation (see mt-order.ts).
      await checkMtKeepsOrder(mt, from, to);
    }, 60_000);
    it('rejects an unsupported pair with an error, not a hang', async () => {
      await expect(e.get().translate({ text: 'hello', from: 'xx', to: 'yy' })).rejects.toThrow();
    });
  });
}

/** A voice's whole output for one request, as a listener would hear it. */
export interface CollectedSpeech {
  samples: Int16Array;
  /** Of the last chunk (0 when nothing was spoken); a voice does not change rate mid-sentence. */
  sampleRate: number;
  chunks: number;
  seconds: number;
  /** Largest absolute sample: above ~1000 is audible speech, not silence. */
  peak: number;
}

export async function collectSpeech(speech: AsyncIterable<TtsChunk>): Promise<CollectedSpeech> {
  const parts: Int16Array[] = [];
  let sampleRate = 0;
  for await (const chunk of speech) {
    parts.push(chunk.samples);
    sampleRate = chunk.sampleRate;
  }
  const samples = concatInt16(parts);
  let peak = 0;
  for (const s of samples) peak = Math.max(peak, Math.abs(s));
  return {
    samples,
    sampleRate,
    chunks: parts.length,
    seconds: sampleRate ? samples.length / sampleRate : 0,
    peak,
  };
}

/** Test aid re-exported for voice packages: their tests see that children are gone after an abort. */
export { childProcessesNamed };

export function describeTtsConformance(
  name: string,
  factory: () => TtsEngine | Promise<TtsEngine>,
  options: {
    language?: string;
    text?: string;
    /** Command name of the engine's child process: a child killed mid-sentence must fail only that sentence. */
    child?: string;
    /** Further languages the same engine must speak, each with a sentence in it. */
    alsoSpeaks?: { language: string; text: string }[];
  } = {},
): void {
  describe(`TTS conformance: ${name}`, () => {
    const e = lifecycle(factory);
    const language = options.language ?? 'es';
    const samples = [
      { language, text: options.text ?? 'Hola, buenos días a todos.' },
      ...(options.alsoSpeaks ?? []),
    ];
    it.each(samples)(
      'synthesises non-silent audio of plausible length ($language)',
      async (sample) => {
        const tts = e.get();
        expect(tts.capabilities.languages).toContain(sample.language);
        const speech = await collectSpeech(tts.synthesize(sample));
        expect(speech.sampleRate).toBeGreaterThanOrEqual(8000);
        expect(speech.seconds).toBeGreaterThan(0.5);
        expect(speech.seconds).toBeLessThan(10);
        expect(speech.peak).toBeGreaterThan(1000);
      },
      60_000,
    );
    it('fails cleanly for a language it has no voice for', async () => {
      await expect(collectSpeech(e.get().synthesize({ text: 'x', language: 'xx' }))).rejects.toThrow();
    });
    const child = options.child;
    if (child) {
      it('survives a killed child: that sentence fails with an error, the next one speaks', async () => {
        const tts = e.get();
        const long = `${options.text ?? 'Hola, buenos días a todos.'} `.repeat(200);
        const pending = collectSpeech(tts.synthesize({ text: long, language }));
        let settled = false;
        const outcome = pending.then(
          () => 'completed',
          (err: unknown) => err,
        );
        void outcome.finally(() => {
          settled = true;
        });
        let killed = 0;
        while (!settled && killed === 0) {
          for (const pid of childProcessesNamed(child)) {
            process.kill(pid, 'SIGKILL');
            killed++;
          }
          await new Promise((r) => setTimeout(r, 2));
        }
        const result = await outcome;
        expect(killed).toBeGreaterThan(0);
        expect(result).toBeInstanceOf(Error);
        expect(String(result)).toMatch(/kill|SIGKILL|exited|no audio/i);
        const next = await collectSpeech(
          tts.synthesize({ text: options.text ?? 'Hola, buenos días a todos.', language }),
        );
        expect(next.samples.length).toBeGreaterThan(0);
      }, 60_000);
    }
  });
}

export function describeCodecConformance(
  name: string,
  factory: () => AudioEncoderEngine | Promise<AudioEncoderEngine>,
): void {
  describe(`codec conformance: ${name}`, () => {
    const e = lifecycle(factory);
    it('encodes frames of the declared size into non-empty packets', () => {
      const codec = e.get();
      const n = (codec.capabilities.sampleRate * codec.capabilities.frameDurationMs) / 1000;
      const enc = codec.createEncoder();
      for (let f = 0; f < 10; f++) {
        const pcm = new Int16Array(n);
        for (let i = 0; i < n; i++)
          pcm[i] = Math.round(
            5000 * Math.sin((2 * Math.PI * 300 * (f * n + i)) / codec.capabilities.sampleRate),
          );
        const pkt = enc.encodeFrame(pcm);
        expect(pkt.byteLength).toBeGreaterThan(0);
        expect(pkt.byteLength).toBeLessThan(4000);
      }
      expect(() => enc.encodeFrame(new Int16Array(n - 1))).toThrow();
      enc.close();
    });
  });
}
