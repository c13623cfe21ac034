/** Voices per language on a gateway: audio by (language, voice), captions by language, demand by both. */
import { decodeListenerAudioPacket, type ListenerAudioPacket } from '@babelcast/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InMemoryBus } from '../bus/bus.ts';
import { type LanguageDemand, subjects } from '../bus/subjects.ts';
import { TEST_HUB } from '../testing/defaults.ts';
import { type ClientSink, SessionHub } from './session-hub.ts';

class FakeSink implements ClientSink {
  bufferedAmount = 0;
  texts: Record<string, unknown>[] = [];
  audio: ListenerAudioPacket[] = [];
  raw: Uint8Array[] = [];
  closed: { code: number; reason: string } | null = null;
  sendText(data: string) {
    this.texts.push(JSON.parse(data));
  }
  sendBinary(data: Uint8Array) {
    this.raw.push(data);
    this.audio.push(decodeListenerAudioPacket(data));
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
  }
  of(type: string) {
    return this.texts.filter((t) => t.type === type);
  }
}

function setup(demandGraceMs = 0) {
  const bus = new InMemoryBus();
  const demands: LanguageDemand[] = [];
  bus.subscribe(subjects.allDemand('s'), (m) => demands.push(m));
  const hub = new SessionHub({ ...TEST_HUB, sessionId: 's', bus, countsDebounceMs: 0, demandGraceMs });
  let seq = 0;
  const audio = (lang: string, voice: string | undefined, segmentId: number, mediaEndMs = segmentId * 1000) =>
    bus.publish(subjects.output('s'), {
      type: 'audio',
      packet: {
        seq: ++seq,
        segmentId,
        packetIndex: 0,
        offsetMs: 0,
        mediaStartMs: mediaEndMs - 1000,
        mediaEndMs,
        sampleRate: 24000,
        frameDurationMs: 20,
        language: lang,
        flags: 3,
        frames: [new Uint8Array(voice === undefined ? 10 : 20)],
        ...(voice !== undefined && { voice }),
      },
    });
  const translation = (lang: string, segmentId: number) =>
    bus.publish(subjects.output('s'), {
      type: 'caption',
      event: {
        type: 'caption',
        kind: 'translation',
        seq: ++seq,
        segmentId,
        lang,
        text: `t${segmentId}`,
        mediaStartMs: 0,
        mediaEndMs: segmentId * 1000,
        emittedAt: 0,
      },
    });
  return { bus, hub, demands, audio, translation };
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
    expect(byDefault.audio.map((p) => p.frames[0]!.byteLength)).toEqual([10]);
    expect(high.audio.map((p) => p.frames[0]!.byteLength)).toEqual([20]);
    expect(other.audio).toEqual([]);
    // Listeners get the packet as before voices: no voice trailer on their wire.
    expect(high.audio[0]!.voice).toBeUndefined();
    expect(high.raw[0]![2]! & 4).toBe(0);
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
    expect(sink.audio.map((p) => [p.segmentId, p.frames[0]!.byteLength])).toEqual([
      [1, 10],
      [2, 20],
    ]);
    // A new language without a voice is heard in its default voice.
    hub.setLanguage('a', 'fr');
    audio('fr', 'fake:high', 3);
    audio('fr', undefined, 3);
    expect(sink.audio.at(-1)).toMatchObject({ language: 'fr', segmentId: 3 });
    expect(sink.audio.at(-1)!.frames[0]!.byteLength).toBe(10);
    hub.close();
  });

  it('sends a voice’s notices to its listeners only, untagged notices to the whole language', () => {
    const { bus, hub } = setup();
    const byDefault = new FakeSink();
    const high = new FakeSink();
    hub.addListener('a', byDefault, 'es');
    hub.addListener('b', high, 'es', 'fake:high');
    const notice = (voice?: string) =>
      bus.publish(subjects.output('s'), {
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
    expect(byDefault.audio.map((p) => p.segmentId)).toEqual([1, 2, 3]);
    expect(high.audio.map((p) => p.segmentId)).toEqual([1, 2]);
    hub.close();
  });

  it('shows the speaker the voice lag of the voice furthest behind, among those still speaking', () => {
    const now = { t: 0 };
    const bus = new InMemoryBus();
    const hub = new SessionHub({ ...TEST_HUB, sessionId: 's', bus, countsDebounceMs: 0, now: () => now.t });
    const speaker = new FakeSink();
    hub.addSpeaker(speaker);
    const lag = (voiceMs: number, voice?: string) =>
      bus.publish(subjects.output('s'), { type: 'lag', lang: 'es', voiceMs, ...(voice && { voice }) });
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
