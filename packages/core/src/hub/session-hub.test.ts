import { CloseCode, decodeListenerAudioPacket } from '@babelcast/protocol';
import { describe, expect, it, vi } from 'vitest';
import { type ClientSink, SessionHub } from './session-hub.ts';
import { InMemoryBus } from '../bus/bus.ts';
import { type SessionOutput, subjects } from '../bus/subjects.ts';
import { TEST_HUB } from '../testing/defaults.ts';

class FakeSink implements ClientSink {
  bufferedAmount = 0;
  texts: Record<string, unknown>[] = [];
  binaries: Uint8Array[] = [];
  closed: { code: number; reason: string } | null = null;
  sendText(data: string) {
    this.texts.push(JSON.parse(data));
  }
  sendBinary(data: Uint8Array) {
    this.binaries.push(data);
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
  }
  captions() {
    return this.texts.filter((t) => t.type === 'caption');
  }
}

function setup(now = { t: 0 }) {
  const bus = new InMemoryBus();
  const demand: string[][] = [];
  bus.subscribe(subjects.allDemand('s'), (m) => m.type === 'demand' && demand.push(m.languages));
  const hub = new SessionHub({
    ...TEST_HUB,
    sessionId: 's',
    bus,
    countsDebounceMs: 0,
    stuckMs: 5000,
    demandGraceMs: 0,
    now: () => now.t,
  });
  const publish = (m: SessionOutput) => bus.publish(subjects.output('s'), m);
  let seq = 0;
  const caption = (kind: 'partial' | 'final' | 'translation', lang: string, segmentId: number) =>
    publish({
      type: 'caption',
      event: {
        type: 'caption',
        kind,
        seq: ++seq,
        segmentId,
        lang,
        text: `${kind} ${segmentId}`,
        mediaStartMs: 0,
        mediaEndMs: 1,
        emittedAt: 0,
      },
    });
  const audio = (lang: string, segmentId: number) =>
    publish({
      type: 'audio',
      packet: {
        seq: ++seq,
        segmentId,
        packetIndex: 0,
        offsetMs: 0,
        mediaStartMs: 0,
        mediaEndMs: 1000,
        sampleRate: 24000,
        frameDurationMs: 20,
        language: lang,
        flags: 3,
        frames: [new Uint8Array(60)],
      },
    });
  return { hub, demand, caption, audio, now };
}

describe('SessionHub', () => {
  it('routes by language: source text to all, translations and audio only to their language', () => {
    const { hub, caption, audio } = setup();
    const es = new FakeSink();
    const fr = new FakeSink();
    hub.addListener('a', es, 'es');
    hub.addListener('b', fr, 'fr');
    caption('final', 'en', 1);
    caption('translation', 'es', 1);
    caption('translation', 'fr', 1);
    audio('es', 1);
    expect(es.captions().map((c) => c.text)).toEqual(['final 1', 'translation 1']);
    expect(es.captions()[1]!.lang).toBe('es');
    expect(fr.captions().map((c) => c.lang)).toEqual(['en', 'fr']);
    expect(es.binaries).toHaveLength(1);
    expect(decodeListenerAudioPacket(es.binaries[0]!).language).toBe('es');
    expect(fr.binaries).toHaveLength(0);
  });

  it('announces demand as languages gain their first and lose their last listener', () => {
    const { hub, demand } = setup();
    hub.addListener('a', new FakeSink(), 'es');
    hub.addListener('b', new FakeSink(), 'es');
    hub.addListener('c', new FakeSink(), 'fr');
    hub.setLanguage('c', 'es');
    hub.removeListener('a');
    hub.removeListener('b');
    hub.removeListener('c');
    expect(demand).toEqual([['es'], ['es', 'fr'], ['es'], []]);
  });

  it('keeps producing a language for a grace period after its last listener leaves', () => {
    vi.useFakeTimers();
    try {
      const bus = new InMemoryBus();
      const demand: string[][] = [];
      // Changes only: the hub also repeats an unchanged demand every 10 s (a refresh).
      bus.subscribe(subjects.allDemand('g'), (m) => {
        if (m.languages.join() !== demand.at(-1)?.join()) demand.push(m.languages);
      });
      const hub = new SessionHub({ ...TEST_HUB, sessionId: 'g', bus, demandGraceMs: 10_000 });
      hub.addListener('a', new FakeSink(), 'es');
      hub.removeListener('a');
      vi.advanceTimersByTime(5_000);
      hub.addListener('b', new FakeSink(), 'es'); // the same phone, reconnected: nothing changes
      hub.removeListener('b');
      vi.advanceTimersByTime(9_999);
      expect(demand).toEqual([['es']]);
      vi.advanceTimersByTime(1);
      expect(demand).toEqual([['es'], []]);
      hub.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('grace is per departed listener: switching language keeps nothing alive', () => {
    vi.useFakeTimers();
    try {
      const bus = new InMemoryBus();
      const demand: string[][] = [];
      bus.subscribe(subjects.allDemand('g'), (m) => m.type === 'demand' && demand.push(m.languages));
      const hub = new SessionHub({ ...TEST_HUB, sessionId: 'g', bus, demandGraceMs: 10_000 });
      // One socket cycling languages once a second: only its current language is ever produced.
      hub.addListener('a', new FakeSink(), 'es');
      for (const lang of ['fr', 'de', 'pt', 'it', 'es', 'fr']) {
        vi.advanceTimersByTime(1_000);
        hub.setLanguage('a', lang);
      }
      expect(demand.every((langs) => langs.length === 1)).toBe(true);
      expect(demand.at(-1)).toEqual(['fr']);
      // Disconnecting keeps its (last) language for the grace, and only that one.
      hub.removeListener('a');
      expect(hub.demandedLanguages).toEqual(['fr']);
      hub.addListener('b', new FakeSink(), 'de');
      expect(hub.demandedLanguages).toEqual(['de', 'fr']);
      vi.advanceTimersByTime(10_000);
      expect(hub.demandedLanguages).toEqual(['de']);
      hub.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a slow listener closed with 4508 keeps its language for the grace, as a disconnect does', () => {
    vi.useFakeTimers();
    try {
      const bus = new InMemoryBus();
      const hub = new SessionHub({
        ...TEST_HUB,
        sessionId: 'g',

        bus,
        demandGraceMs: 10_000,
        maxBufferedBytes: 16 * 1024,
      });
      const slow = new FakeSink();
      hub.addListener('a', slow, 'es');
      slow.bufferedAmount = 1024 * 1024;
      bus.publish(subjects.output('g'), {
        type: 'caption',
        event: {
          type: 'caption',
          kind: 'final',
          seq: 1,
          segmentId: 1,
          lang: 'en',
          text: 'x',
          mediaStartMs: 0,
          mediaEndMs: 1,
          emittedAt: 0,
        },
      });
      expect(slow.closed?.code).toBe(CloseCode.SLOW_CONSUMER);
      expect(hub.demandedLanguages).toEqual(['es']);
      vi.advanceTimersByTime(10_000);
      expect(hub.demandedLanguages).toEqual([]);
      hub.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('seeds history from before a restart, replays it, and finds the seq before a time', () => {
    const { hub } = setup();
    const old = (seq: number, kind: 'final' | 'translation', lang: string, emittedAt: number) => ({
      type: 'caption' as const,
      kind,
      seq,
      segmentId: seq,
      lang,
      text: `old ${seq}`,
      mediaStartMs: 0,
      mediaEndMs: 1,
      emittedAt,
    });
    hub.seedHistory([
      old(1, 'final', 'en', 100),
      old(2, 'translation', 'es', 200),
      old(3, 'final', 'en', 300),
    ]);
    expect(hub.seq).toBe(3);
    expect(hub.seqBefore(250)).toBe(2);
    expect(hub.seqBefore(50)).toBe(0);
    const sink = new FakeSink();
    hub.addListener('a', sink, 'es');
    hub.replay('a', -1);
    expect(sink.captions().map((c) => c.text)).toEqual(['old 1', 'old 2', 'old 3']);
    expect(sink.captions().every((c) => c.replay === true)).toBe(true);
    sink.texts = [];
    hub.replay('a', hub.seqBefore(250));
    expect(sink.captions().map((c) => c.text)).toEqual(['old 3']);
  });

  it('knows since when no speaker is connected', () => {
    const { hub, now } = setup({ t: 1000 });
    expect(hub.noSpeakerSince).toBe(1000);
    const sp = new FakeSink();
    hub.addSpeaker(sp);
    expect(hub.speakerCount).toBe(1);
    expect(hub.noSpeakerSince).toBeNull();
    now.t = 5000;
    hub.removeSpeaker(sp);
    expect(hub.noSpeakerSince).toBe(5000);
  });

  it('drops audio (never captions) for a listener that is behind, without delaying others', () => {
    const { hub, caption, audio } = setup();
    const slow = new FakeSink();
    const fast = new FakeSink();
    hub.addListener('slow', slow, 'es');
    hub.addListener('fast', fast, 'es');
    slow.bufferedAmount = 100_000;
    for (let i = 1; i <= 5; i++) {
      caption('translation', 'es', i);
      audio('es', i);
    }
    expect(slow.binaries).toHaveLength(0);
    expect(slow.captions()).toHaveLength(5);
    expect(fast.binaries).toHaveLength(5);
    expect(slow.closed).toBeNull();
  });

  it('disconnects a listener that stays stuck, with SLOW_CONSUMER', () => {
    const { hub, audio, now } = setup();
    const slow = new FakeSink();
    hub.addListener('slow', slow, 'es');
    slow.bufferedAmount = 100_000;
    audio('es', 1);
    now.t = 6000;
    audio('es', 2);
    expect(slow.closed?.code).toBe(CloseCode.SLOW_CONSUMER);
    expect(hub.counts()).toEqual({});
  });

  it('disconnects a listener whose buffer passes the hard limit, even for captions', () => {
    const { hub, caption } = setup();
    const s = new FakeSink();
    hub.addListener('x', s, 'es');
    s.bufferedAmount = 2 * 1024 * 1024;
    caption('final', 'en', 1);
    expect(s.closed?.code).toBe(CloseCode.SLOW_CONSUMER);
  });

  it('replays finished captions after a seq, or only the most recent ones on a fresh join', () => {
    const { hub, caption } = setup();
    for (let i = 1; i <= 5; i++) {
      caption('partial', 'en', i);
      caption('final', 'en', i);
      caption('translation', 'es', i);
      caption('translation', 'fr', i);
    }
    const s = new FakeSink();
    hub.addListener('x', s, 'es');
    hub.replay('x', 12);
    // seq 12 is fr translation of segment 3; after it: segments 4 and 5 (final + es translation each).
    expect(s.captions().map((c) => `${c.kind}:${c.segmentId}`)).toEqual([
      'final:4',
      'translation:4',
      'final:5',
      'translation:5',
    ]);
    expect(s.captions().every((c) => c.replay === true)).toBe(true);
    const t = new FakeSink();
    hub.addListener('y', t, 'fr');
    hub.replay('y', -1, 2);
    expect(t.captions().map((c) => `${c.kind}:${c.segmentId}:${c.lang}`)).toEqual([
      'final:5:en',
      'translation:5:fr',
    ]);
  });

  it('closes every listener with the given code', () => {
    const { hub } = setup();
    const s = new FakeSink();
    hub.addListener('x', s, 'es');
    hub.close(CloseCode.SESSION_ENDED, 'the session has ended');
    expect(s.closed?.code).toBe(CloseCode.SESSION_ENDED);
  });

  it('after a takeover, drops what listeners already got of the sentence recognised again', () => {
    const bus = new InMemoryBus();
    const hub = new SessionHub({ ...TEST_HUB, sessionId: 't', bus, countsDebounceMs: 0 });
    const es = new FakeSink();
    hub.addListener('a', es, 'es');
    let seq = 0;
    const caption = (kind: 'final' | 'translation', lang: string, segmentId: number, endMs: number) =>
      bus.publish(subjects.output('t'), {
        type: 'caption',
        event: {
          type: 'caption',
          kind,
          seq: ++seq,
          segmentId,
          lang,
          text: `${kind} ${segmentId}@${endMs}`,
          mediaStartMs: endMs - 500,
          mediaEndMs: endMs,
          emittedAt: 0,
        },
      });
    const voice = (segmentId: number, endMs: number) =>
      bus.publish(subjects.output('t'), {
        type: 'audio',
        packet: {
          seq: ++seq,
          language: 'es',
          segmentId,
          packetIndex: 0,
          offsetMs: 0,
          sampleRate: 24000,
          flags: 0,
          frameDurationMs: 20,
          frames: [new Uint8Array([1])],
          mediaStartMs: endMs - 500,
          mediaEndMs: endMs,
        },
      });
    caption('final', 'en', 1, 1000);
    caption('translation', 'es', 1, 1000);
    voice(1, 1000);
    voice(1, 1000);
    caption('translation', 'es', 2, 2000);
    voice(2, 2000);
    // Before any takeover the same span twice is passed on (engines may legitimately repeat it).
    caption('translation', 'es', 2, 2000);
    expect(es.captions()).toHaveLength(4);
    bus.publish(subjects.state('t'), { type: 'resumed', worker: 'w2' });
    // The successor recognises sentence 2 again, then goes on with sentence 3.
    caption('final', 'en', 1, 1000);
    caption('translation', 'es', 1, 1000);
    voice(1, 1000);
    caption('translation', 'es', 2, 1900);
    caption('translation', 'es', 3, 3000);
    voice(3, 3000);
    voice(3, 3000);
    expect(
      es
        .captions()
        .slice(4)
        .map((c) => c.text),
    ).toEqual(['translation 3@3000']);
    expect(es.binaries.map((b) => decodeListenerAudioPacket(b).mediaEndMs)).toEqual([
      1000, 1000, 2000, 3000, 3000,
    ]);
    hub.close();
  });
});
