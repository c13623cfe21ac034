import { CloseCode, decodeListenerAudioPacket } from '@babelcast/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { subjects } from '../bus/subjects.ts';
import { captionEvent, FakeSink, hubFixture } from './hub-fixtures.ts';

type Kind = 'partial' | 'final' | 'translation';

/** A hub on a clock the test moves, with captions and audio as short calls. */
function setup(now = { t: 0 }) {
  const fixture = hubFixture({ stuckMs: 5000, demandGraceMs: 0, now: () => now.t });
  const caption = (kind: Kind, lang: string, segmentId: number) =>
    fixture.caption({ kind, lang, segmentId, text: `${kind} ${segmentId}` });
  const audio = (language: string, segmentId: number) => fixture.audio({ language, segmentId });
  return { ...fixture, caption, audio, now };
}

/** The languages of each demand announced, consecutive repeats (the hub's refreshes) left out. */
const languageChanges = (demands: { languages: string[] }[]) =>
  demands.map((d) => d.languages).filter((langs, i, all) => i === 0 || langs.join() !== all[i - 1]!.join());

afterEach(() => {
  vi.useRealTimers();
});

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
    const { hub, demands } = setup();
    hub.addListener('a', new FakeSink(), 'es');
    hub.addListener('b', new FakeSink(), 'es');
    hub.addListener('c', new FakeSink(), 'fr');
    hub.setLanguage('c', 'es');
    hub.removeListener('a');
    hub.removeListener('b');
    hub.removeListener('c');
    expect(demands.map((d) => d.languages)).toEqual([['es'], ['es', 'fr'], ['es'], []]);
  });

  it('keeps producing a language for a grace period after its last listener leaves', () => {
    vi.useFakeTimers();
    // The hub also repeats an unchanged demand every 10 s (a refresh): only changes count here.
    const { hub, demands } = hubFixture({ demandGraceMs: 10_000 });
    hub.addListener('a', new FakeSink(), 'es');
    hub.removeListener('a');
    vi.advanceTimersByTime(5_000);
    hub.addListener('b', new FakeSink(), 'es'); // the same phone, reconnected: nothing changes
    hub.removeListener('b');
    vi.advanceTimersByTime(9_999);
    expect(languageChanges(demands)).toEqual([['es']]);
    vi.advanceTimersByTime(1);
    expect(languageChanges(demands)).toEqual([['es'], []]);
    hub.close();
  });

  it('grace is per departed listener: switching language keeps nothing alive', () => {
    vi.useFakeTimers();
    const { hub, demands } = hubFixture({ demandGraceMs: 10_000 });
    // One socket cycling languages once a second: only its current language is ever produced.
    hub.addListener('a', new FakeSink(), 'es');
    for (const lang of ['fr', 'de', 'pt', 'it', 'es', 'fr']) {
      vi.advanceTimersByTime(1_000);
      hub.setLanguage('a', lang);
    }
    expect(demands.every((d) => d.languages.length === 1)).toBe(true);
    expect(demands.at(-1)?.languages).toEqual(['fr']);
    // Disconnecting keeps its (last) language for the grace, and only that one.
    hub.removeListener('a');
    expect(hub.demandedLanguages).toEqual(['fr']);
    hub.addListener('b', new FakeSink(), 'de');
    expect(hub.demandedLanguages).toEqual(['de', 'fr']);
    vi.advanceTimersByTime(10_000);
    expect(hub.demandedLanguages).toEqual(['de']);
    hub.close();
  });

  it('a slow listener closed with 4508 keeps its language for the grace, as a disconnect does', () => {
    vi.useFakeTimers();
    const { hub, caption } = hubFixture({ demandGraceMs: 10_000, maxBufferedBytes: 16 * 1024 });
    const slow = new FakeSink();
    hub.addListener('a', slow, 'es');
    slow.bufferedAmount = 1024 * 1024;
    caption({ text: 'x' });
    expect(slow.closed?.code).toBe(CloseCode.SLOW_CONSUMER);
    expect(hub.demandedLanguages).toEqual(['es']);
    vi.advanceTimersByTime(10_000);
    expect(hub.demandedLanguages).toEqual([]);
    hub.close();
  });

  it('seeds history from before a restart, replays it, and finds the seq before a time', () => {
    const { hub } = setup();
    const old = (seq: number, kind: 'final' | 'translation', lang: string, emittedAt: number) =>
      captionEvent(seq, { kind, segmentId: seq, lang, text: `old ${seq}`, emittedAt });
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
    const fixture = hubFixture();
    const { bus, hub } = fixture;
    const es = new FakeSink();
    hub.addListener('a', es, 'es');
    const span = (endMs: number) => ({ mediaStartMs: endMs - 500, mediaEndMs: endMs });
    const caption = (kind: 'final' | 'translation', lang: string, segmentId: number, endMs: number) =>
      fixture.caption({ kind, lang, segmentId, text: `${kind} ${segmentId}@${endMs}`, ...span(endMs) });
    const voice = (segmentId: number, endMs: number) =>
      fixture.audio({ segmentId, flags: 0, frames: [new Uint8Array([1])], ...span(endMs) });
    caption('final', 'en', 1, 1000);
    caption('translation', 'es', 1, 1000);
    voice(1, 1000);
    voice(1, 1000);
    caption('translation', 'es', 2, 2000);
    voice(2, 2000);
    // Before any takeover the same span twice is passed on (engines may legitimately repeat it).
    caption('translation', 'es', 2, 2000);
    expect(es.captions()).toHaveLength(4);
    bus.publish(subjects.state('s'), { type: 'resumed', worker: 'w2' });
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
