/**
 * Voices per language (issue 13, item 4): a language is translated once and synthesised once per
 * voice its listeners chose, and a voice nobody hears (or the engine does not offer) never is.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { readWavFile } from '../audio/wav.ts';
import { InMemoryBus } from '../bus/bus.ts';
import { type LanguageDemand, type SessionOutput, subjects } from '../bus/subjects.ts';
import { createFakeEngines, FakeMt, FakeTts } from '../engines/fakes/index.ts';
import { TEST_PIPELINE } from '../testing/defaults.ts';
import { speechClip } from '../testing/shared-data.ts';
import { SessionPipeline } from './session-pipeline.ts';

const VOICES = ['fake:low', 'fake:high'];

function run(demand: Omit<LanguageDemand, 'type' | 'gateway' | 'at'>) {
  const bus = new InMemoryBus();
  const out: SessionOutput[] = [];
  bus.subscribe(subjects.output('s1'), (m) => out.push(m));
  const tts = new FakeTts({ voices: VOICES });
  const mt = new FakeMt();
  const pipeline = new SessionPipeline({
    ...TEST_PIPELINE,
    // One chunk per sentence: what is counted below is per sentence.
    mode: 'sentence',
    sessionId: 's1',
    sourceLanguage: 'en',
    bus,
    logger: pino({ level: 'silent' }),
    engines: { ...createFakeEngines(), tts, mt },
  });
  bus.publish(subjects.demand('s1', 'g1'), { type: 'demand', ...demand, gateway: 'g1', at: Date.now() });
  return { bus, out, pipeline, tts, mt };
}

async function speak(pipeline: SessionPipeline): Promise<void> {
  const { samples } = readWavFile(speechClip('long-en-01.wav'));
  for (let at = 0; at < samples.length; at += 3200) pipeline.pushAudio(samples.subarray(at, at + 3200));
  pipeline.pushAudio(new Int16Array(16000));
  await pipeline.flush();
}

const audioOf = (out: SessionOutput[], lang: string) =>
  out.flatMap((m) => (m.type === 'audio' && m.packet.language === lang ? [m.packet] : []));
const translations = (out: SessionOutput[], lang: string) =>
  out.filter((m) => m.type === 'caption' && m.event.kind === 'translation' && m.event.lang === lang);

describe('SessionPipeline voices', () => {
  it('translates once and synthesises each demanded voice of a language as its own track', async () => {
    const { out, pipeline, tts, mt } = run({ languages: ['es'], voices: { es: ['', 'fake:high'] } });
    expect(pipeline.activeVoices).toEqual({ es: ['', 'fake:high'] });
    await speak(pipeline);
    const captions = translations(out, 'es');
    expect(captions.length).toBeGreaterThanOrEqual(3);
    // Translation once per chunk, not once per voice.
    expect(mt.calls).toBe(captions.length);
    // The default voice is asked for as before voices existed (no voice named); the other by name.
    expect(tts.voicesAsked.filter((v) => v === undefined)).toHaveLength(captions.length);
    expect(tts.voicesAsked.filter((v) => v === 'fake:high')).toHaveLength(captions.length);
    const audio = audioOf(out, 'es');
    const byVoice = (voice: string | undefined) => audio.filter((p) => p.voice === voice);
    const low = byVoice(undefined);
    const high = byVoice('fake:high');
    expect(low.length + high.length).toBe(audio.length);
    // Each voice is its own track: packet numbering per segment from 0, flags per chunk.
    for (const track of [low, high]) {
      const segments = [...new Set(track.map((p) => p.segmentId))];
      expect(segments).toHaveLength(captions.length);
      for (const id of segments) {
        const packets = track.filter((p) => p.segmentId === id);
        expect(packets.map((p) => p.packetIndex)).toEqual(packets.map((_, i) => i));
        expect(packets[0]!.flags & 1).toBe(1);
        expect(packets.at(-1)!.flags & 2).toBe(2);
      }
    }
    // And they sound apart: the high voice speaks 1.5 times as long (FakeTts.lengthFactor).
    const frames = (track: typeof audio) => track.reduce((n, p) => n + p.frames.length, 0);
    expect(frames(high) / frames(low)).toBeGreaterThan(1.4);
    expect(frames(high) / frames(low)).toBeLessThan(1.6);
    await pipeline.close();
  });

  it('never synthesises a voice nobody hears: only the chosen one when nobody hears the default', async () => {
    const { out, pipeline, tts } = run({ languages: ['es'], voices: { es: ['fake:high'] } });
    await speak(pipeline);
    expect(translations(out, 'es').length).toBeGreaterThanOrEqual(3);
    expect(new Set(tts.voicesAsked)).toEqual(new Set(['fake:high']));
    expect(audioOf(out, 'es').every((p) => p.voice === 'fake:high')).toBe(true);
    await pipeline.close();
  });

  it('counts only voices the engine offers, and the default voice once however it is named', async () => {
    const voices = [
      '',
      'fake:low',
      'nobody:x',
      'fake:high',
      'fake:high',
      ...Array.from({ length: 50 }, (_, i) => `v${i}`),
    ];
    const { pipeline } = run({ languages: ['es', 'fr'], voices: { es: voices, fr: ['bogus'] } });
    // 'fake:low' is the default: one track with ''. fr asked for nothing it has, so nothing is voiced.
    expect(pipeline.activeVoices).toEqual({ es: ['', 'fake:high'], fr: [] });
    await pipeline.close();
  });

  it('reads a demand without voices (an older gateway) as the default voice of each language', async () => {
    const { out, pipeline, tts } = run({ languages: ['es'] });
    expect(pipeline.activeVoices).toEqual({ es: [''] });
    await speak(pipeline);
    expect(new Set(tts.voicesAsked)).toEqual(new Set([undefined]));
    expect(audioOf(out, 'es').length).toBeGreaterThan(0);
    await pipeline.close();
  });

  it('starts and stops a voice as the demand changes, the language track staying', async () => {
    const { bus, pipeline } = run({ languages: ['es'], voices: { es: [''] } });
    const demand = (voices: string[]) =>
      bus.publish(subjects.demand('s1', 'g1'), {
        type: 'demand',
        languages: ['es'],
        voices: { es: voices },
        gateway: 'g1',
        at: Date.now(),
      });
    demand(['', 'fake:high']);
    expect(pipeline.activeVoices).toEqual({ es: ['', 'fake:high'] });
    demand(['fake:high']);
    expect(pipeline.activeVoices).toEqual({ es: ['fake:high'] });
    // A second gateway's listeners hear the default: the union is produced.
    bus.publish(subjects.demand('s1', 'g2'), {
      type: 'demand',
      languages: ['es'],
      voices: { es: [''] },
      gateway: 'g2',
      at: Date.now(),
    });
    expect(pipeline.activeVoices).toEqual({ es: ['fake:high', ''] });
    await pipeline.close();
  });
});
