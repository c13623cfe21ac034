import { AudioPacketFlag, ErrorCode } from '@babelcast/protocol';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createFakeEngines, FakeTts } from '../engines/fakes/index.ts';
import type { SessionOutput } from '../bus/subjects.ts';
import { DEFAULT_VOICE } from './tuning.ts';
import type { PipelineContext } from './types.ts';
import { nullObserver } from './types.ts';
import { VoiceStage } from './voice-stage.ts';

/** A clock the test advances; sleepers wake when it passes their time. */
class FakeClock {
  now = 0;
  private sleepers: { at: number; wake: () => void }[] = [];
  sleep = (ms: number) => new Promise<void>((wake) => this.sleepers.push({ at: this.now + ms, wake }));
  async advanceTo(t: number): Promise<void> {
    while (this.now < t) {
      this.now = Math.min(t, this.now + 50);
      const due = this.sleepers.filter((s) => s.at <= this.now);
      this.sleepers = this.sleepers.filter((s) => s.at > this.now);
      for (const s of due) s.wake();
      // Let the stage run (fake synthesis is a few microtask hops per 100 ms chunk).
      for (let i = 0; i < 50; i++) await Promise.resolve();
    }
  }
}

/**
 * A speaker who commits a 2 s chunk every 2 s (its audio arrives in real time) and a voice that
 * needs `msPerChar` per character at rate 1: 40 characters at 100 ms = 4 s, twice as slow as the
 * speaker, so without catching up the lag would grow by 2 s per chunk.
 */
async function talk(options: { msPerChar: number; chunks: number }) {
  const clock = new FakeClock();
  const tts = new FakeTts({ msPerChar: options.msPerChar });
  const engines = { ...createFakeEngines(), tts };
  const out: SessionOutput[] = [];
  const ctx: PipelineContext = {
    sessionId: 's',
    sourceLanguage: 'en',
    logger: pino({ level: 'silent' }),
    observer: nullObserver,
    now: () => clock.now,
    nextSeq: (() => {
      let seq = 0;
      return () => ++seq;
    })(),
    onTranscript: () => {},
    arrivalWall: (mediaMs) => mediaMs,
  };
  const stage = new VoiceStage(
    'es',
    ctx,
    engines,
    engines.codec.createEncoder(),
    (m) => out.push(m),
    new AbortController().signal,
    {
      ttsRate: 1,
      framesPerPacket: 10,
      maxPending: 8,
      catchUp: DEFAULT_VOICE,
      sleep: clock.sleep,
    },
  );
  for (let i = 0; i < options.chunks; i++) {
    await clock.advanceTo((i + 1) * 2000 + 300);
    stage.push({
      segmentId: i + 1,
      text: 'x',
      translation: 'y'.repeat(40),
      mediaStartMs: i * 2000,
      mediaEndMs: (i + 1) * 2000,
      committedWallMs: clock.now,
      opensSentence: true,
    });
  }
  await clock.advanceTo(options.chunks * 2000 + 30_000);
  stage.close();
  return { out, rates: tts.rates };
}

/** The lag behind the speaker the stage modelled for each chunk (when its first packet will be heard). */
function voiceLags(out: SessionOutput[]): number[] {
  return out.flatMap((m) => (m.type === 'lag' && m.voiceMs !== undefined ? [m.voiceMs] : []));
}

describe('VoiceStage keeping up with the speaker', () => {
  it('never overlaps itself: each chunk starts after the previous one ended', async () => {
    const { out } = await talk({ msPerChar: 100, chunks: 12 });
    const flags = out.flatMap((m) => (m.type === 'audio' ? [m.packet.flags] : []));
    let open = false;
    for (const f of flags) {
      if (f & AudioPacketFlag.SEGMENT_START) {
        expect(open).toBe(false);
        open = true;
      }
      if (f & AudioPacketFlag.SEGMENT_END) {
        expect(open).toBe(true);
        open = false;
      }
    }
    expect(open).toBe(false);
  });

  it('speaks faster when behind, then skips ahead and tells the listener, and the lag stays bounded', async () => {
    const { out, rates } = await talk({ msPerChar: 100, chunks: 30 });
    expect(rates[0]).toBe(1);
    expect(Math.max(...rates)).toBeGreaterThan(1.2);
    expect(Math.max(...rates)).toBeLessThanOrEqual(DEFAULT_VOICE.maxRate + 1e-9);
    const skips = out.filter((m) => m.type === 'notice' && m.notice.code === ErrorCode.VOICE_SKIPPED);
    expect(skips.length).toBeGreaterThan(0);
    const lags = voiceLags(out);
    // A voice twice as slow as the speaker, over a minute: without skipping the lag would reach
    // 30 s; with it, it stays near the skip threshold plus one chunk.
    expect(Math.max(...lags)).toBeLessThan(DEFAULT_VOICE.skipAheadLagMs + 4000);
    const third = Math.floor(lags.length / 3);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(lags.slice(-third))).toBeLessThan(mean(lags.slice(0, third)) + 3000);
  });

  it('keeps the normal rate and skips nothing when the voice is faster than the speaker', async () => {
    const { out, rates } = await talk({ msPerChar: 30, chunks: 10 });
    expect(rates.every((r) => r === 1)).toBe(true);
    expect(out.some((m) => m.type === 'notice')).toBe(false);
    expect(Math.max(...voiceLags(out))).toBeLessThan(DEFAULT_VOICE.targetLagMs);
  });
});
