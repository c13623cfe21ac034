/** Voices per language on a gateway: audio by (language, voice), captions by language, demand by both. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { subjects } from '../bus/subjects.ts';
import { FakeSink, hubFixture } from './hub-fixtures.ts';

/**
 * A hub whose `audio` publishes one packet of `voice` (10-byte frame for the default voice, 20
 * for another: what tells them apart at the listener) and `translation` one caption.
 */
function setup(demandGraceMs = 0) {
  const fixture = hubFixture({ demandGraceMs });
  const audio = (lang: string, voice: string | undefined, segmentId: number, mediaEndMs = segmentId * 1000) =>
    fixture.audio({
      segmentId,
      mediaStartMs: mediaEndMs - 1000,
      mediaEndMs,
      language: lang,
      frames: [new Uint8Array(voice === undefined ? 10 : 20)],
      ...(voice !== undefined && { voice }),
    });
  const translation = (lang: string, segmentId: number) =>
    fixture.caption({
      kind: 'translation',
      segmentId,
      lang,
      text: `t${segmentId}`,
      mediaEndMs: segmentId * 1000,
    });
  return { ...fixture, audio, translation };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SessionHub voices', () => {
  it('sends each listener only its voice’s audio, and the same captions to all of the language', () => {
    const { hub, audio, translation } = setup();
    const byDefault = new FakeSink();
    const high = new FakeSink();
    const other = new FakeSink();
    hub.addListener('a', byDefault, 'es');
    hub.addListener('b', high, 'es', 'fake:high');
    hub.addListener('c', other, 'fr', 'fake:high');
    translation('es', 1);
    audio('es', undefined, 1);
    audio('es', 'fake:high', 1);
    audio('fr', undefined, 1);
    expect(byDefault.of('caption')).toEqual(high.of('caption'));
    expect(byDefault.of('caption')).toHaveLength(1);
    expect(byDefault.packets().map((p) => p.frames[0]!.byteLength)).toEqual([10]);
    expect(high.packets().map((p) => p.frames[0]!.byteLength)).toEqual([20]);
    expect(other.packets()).toEqual([]);
    // Listeners get the packet as before voices: no voice trailer on their wire.
    expect(high.packets()[0]!.voice).toBeUndefined();
    expect(high.binaries[0]![2]! & 4).toBe(0);
    hub.close();
  });

  it('a voice switch takes effect at once: the next packets are the new voice’s', () => {
    const { hub, audio } = setup();
    const sink = new FakeSink();
    hub.addListener('a', sink, 'es');
    audio('es', undefined, 1);
    audio('es', 'fake:high', 1);
    hub.setLanguage('a', 'es', 'fake:high');
    audio('es', undefined, 2);
    audio('es', 'fake:high', 2);
    expect(sink.packets().map((p) => [p.segmentId, p.frames[0]!.byteLength])).toEqual([
      [1, 10],
      [2, 20],
    ]);
    // A new language without a voice is heard in its default voice.
    hub.setLanguage('a', 'fr');
    audio('fr', 'fake:high', 3);
    audio('fr', undefined, 3);
    expect(sink.packets().at(-1)).toMatchObject({ language: 'fr', segmentId: 3 });
    expect(sink.packets().at(-1)!.frames[0]!.byteLength).toBe(10);
    hub.close();
  });

  it('sends a voice’s notices to its listeners only, untagged notices to the whole language', () => {
    const { hub, publish } = setup();
    const byDefault = new FakeSink();
    const high = new FakeSink();
    hub.addListener('a', byDefault, 'es');
    hub.addListener('b', high, 'es', 'fake:high');
    const notice = (voice?: string) =>
      publish({
        type: 'notice',
        notice: { type: 'notice', code: 'BC_NOTICE_VOICE_SKIPPED', message: 'm', lang: 'es' },
        ...(voice !== undefined && { voice }),
      });
    notice('fake:high');
    notice('');
    notice();
    expect(high.of('notice')).toHaveLength(2);
    expect(byDefault.of('notice')).toHaveLength(2);
    hub.close();
  });

  it('announces the voices heard per language, a new voice at once, and languages as before', () => {
    const { hub, demands } = setup();
    hub.addListener('a', new FakeSink(), 'es');
    hub.addListener('b', new FakeSink(), 'es', 'fake:high');
    hub.addListener('c', new FakeSink(), 'es', 'fake:high');
    hub.setLanguage('a', 'es', 'fake:high');
    hub.removeListener('b');
    hub.removeListener('c');
    hub.removeListener('a');
    expect(demands.map((d) => [d.languages, d.voices])).toEqual([
      [['es'], { es: [''] }],
      [['es'], { es: ['', 'fake:high'] }],
      // c joins a voice already heard: no new demand. a switches: the default is heard by nobody.
      [['es'], { es: ['fake:high'] }],
      [[], {}],
    ]);
    expect(hub.demandedVoices).toEqual({});
  });

  it('keeps a departed listener’s voice for the grace period, but not one it switched away from', () => {
    vi.useFakeTimers();
    const { hub } = setup(10_000);
    hub.addListener('a', new FakeSink(), 'es', 'fake:high');
    hub.addListener('b', new FakeSink(), 'es');
    hub.setLanguage('a', 'es', 'fake:low');
    expect(hub.demandedVoices).toEqual({ es: ['', 'fake:low'] });
    hub.removeListener('a');
    expect(hub.demandedVoices).toEqual({ es: ['', 'fake:low'] });
    vi.advanceTimersByTime(10_000);
    expect(hub.demandedVoices).toEqual({ es: [''] });
    hub.close();
  });

  it('after a takeover, drops repeats per voice: one voice running ahead hides nothing of another', () => {
    const { bus, hub, audio } = setup();
    const byDefault = new FakeSink();
    const high = new FakeSink();
    hub.addListener('a', byDefault, 'es');
    hub.addListener('b', high, 'es', 'fake:high');
    bus.publish(subjects.state('s'), { type: 'resumed', worker: 'w2' });
    // The default voice runs two chunks ahead of the high one, as a faster voice does.
    audio('es', undefined, 1);
    audio('es', undefined, 2);
    audio('es', undefined, 3);
    audio('es', 'fake:high', 1);
    audio('es', 'fake:high', 2);
    // A repeat of the default voice's chunk 1 (a worker that took over voices it again) is dropped.
    audio('es', undefined, 1);
    expect(byDefault.packets().map((p) => p.segmentId)).toEqual([1, 2, 3]);
    expect(high.packets().map((p) => p.segmentId)).toEqual([1, 2]);
    hub.close();
  });

  it('shows the speaker the voice lag of the voice furthest behind, among those still speaking', () => {
    const now = { t: 0 };
    const { hub, publish } = hubFixture({ now: () => now.t });
    const speaker = new FakeSink();
    hub.addSpeaker(speaker);
    const lag = (voiceMs: number, voice?: string) =>
      publish({ type: 'lag', lang: 'es', voiceMs, ...(voice && { voice }) });
    lag(3000, 'fake:high');
    lag(1000);
    now.t = 5_000;
    lag(1200);
    now.t = 12_000;
    // The high voice stopped reporting 12 s ago: no longer counted.
    lag(900);
    expect(speaker.of('lag').map((m) => (m.voiceMs as Record<string, number>).es)).toEqual([
      3000, 3000, 3000, 900,
    ]);
    hub.close();
  });
});
