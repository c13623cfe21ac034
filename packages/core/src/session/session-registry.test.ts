import { ErrorCode } from '@babelcast/protocol';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createFakeEngines } from '../engines/fakes/index.ts';
import { InMemoryBus } from '../bus/bus.ts';
import type { ClientSink } from '../hub/session-hub.ts';
import { nullObserver } from '../pipeline/types.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { TEST_REGISTRY } from '../testing/defaults.ts';
import { sessionRecord, transcriptSegment } from '../testing/store-conformance.ts';
import { CapacityPlanner } from './capacity.ts';
import { SessionRegistry, type SessionRegistryOptions } from './session-registry.ts';

const observer = {
  ...nullObserver,
  listenersChanged() {},
  audioDropped() {},
  slowConsumerClosed() {},
};

function sessions(over: Partial<SessionRegistryOptions> = {}) {
  const store = (over.store as MemoryStore | undefined) ?? new MemoryStore();
  const m = new SessionRegistry({
    ...TEST_REGISTRY,
    engines: createFakeEngines(),
    bus: new InMemoryBus(),
    store,
    logger: pino({ level: 'silent' }),
    observer,
    joinUrl: (id) => `https://host/join/${id}`,
    ...over,
  });
  return { m, store };
}

const sink = (): ClientSink => ({ bufferedAmount: 0, sendText() {}, sendBinary() {}, close() {} });

describe('SessionRegistry: offered languages', () => {
  it('offers the source plus the chosen targets, validated against what is served and the limit', () => {
    const { m } = sessions({ maxLanguagesPerSession: 2 });
    expect(m.offerFor('en', ['es', 'fr', 'es', 'en'])).toEqual(['en', 'es', 'fr']);
    expect(() => m.offerFor('en', ['es', 'ja'])).toThrow(
      expect.objectContaining({ code: ErrorCode.UNSUPPORTED_PAIR }),
    );
    expect(() => m.offerFor('en', ['es', 'fr', 'de'])).toThrow(
      expect.objectContaining({ code: ErrorCode.VALIDATION }),
    );
    expect(m.offerFor('en')).toHaveLength(3);
  });

  it('a legacy record without offered languages offers what is served (up to the limit)', () => {
    const { m } = sessions();
    expect(m.offered(sessionRecord('a-a-001'))).toEqual(m.offerFor('en'));
    expect(m.offered(sessionRecord('a-a-002', { targetLanguages: ['en', 'es', 'ja'] }))).toEqual([
      'en',
      'es',
    ]);
  });

  it('admits only offered languages; a new one only with headroom', async () => {
    const capacity = new CapacityPlanner({
      cores: 1,
      cpuBudget: 1,
      asrRealTimeFactor: 0.5,
      languageCpuCost: 0.25,
      maxSessions: 10,
      maxLiveSessions: 10,
    });
    const { m } = sessions({ capacity });
    const s = await m.create('owner', 'en', null, ['es', 'fr', 'de']);
    expect(() => m.admitLanguage(s, 'pt')).toThrow(
      expect.objectContaining({ code: ErrorCode.LANGUAGE_NOT_OFFERED }),
    );
    await m.transition(s.id, 'live');
    m.admitLanguage(s, 'es');
    s.hub.addListener('a', sink(), 'es');
    m.admitLanguage(s, 'fr');
    s.hub.addListener('b', sink(), 'fr');
    // 0.5 + 2 × 0.25 = the whole budget: no third language; more of the same, or the source, is fine.
    expect(() => m.admitLanguage(s, 'de')).toThrow(
      expect.objectContaining({ code: ErrorCode.OVER_CAPACITY }),
    );
    m.admitLanguage(s, 'es');
    m.admitLanguage(s, 'en');
    expect(m.capacity()).toMatchObject({ usedCores: 1, headroomCores: 0, languages: 2 });
  });
});

describe('SessionRegistry: restarts', () => {
  it('reloads replay history from the store and resumes a server-paused session for its speaker', async () => {
    const store = new MemoryStore();
    await store.createSession(
      sessionRecord('a-a-001', { state: 'paused', pauseReason: 'shutdown', lastAudioSeq: 42 }),
    );
    await store.appendSegment(transcriptSegment('a-a-001', 1, { text: 'before' }));
    await store.appendSegment(
      transcriptSegment('a-a-001', 2, { lang: 'es', kind: 'translation', text: 'antes' }),
    );
    const { m } = sessions({ store });
    const s = await m.require('a-a-001');
    expect(s.lastSpeakerSeq).toBe(42);
    expect(s.hub.seq).toBe(2);
    const texts: string[] = [];
    s.hub.addListener('l', { ...sink(), sendText: (t) => texts.push(JSON.parse(t).text) }, 'es');
    s.hub.replay('l', -1);
    expect(texts).toEqual(['before', 'antes']);

    await m.speakerConnected(s);
    expect(s.state).toBe('live');
    expect((await store.getSession('a-a-001'))?.pauseReason).toBeNull();
  });

  it('a session its speaker paused stays paused when the speaker reconnects; audio is refused', async () => {
    const { m, store } = sessions();
    const s = await m.create('owner', 'en', null);
    await m.speakerConnected(s);
    expect(s.state).toBe('live');
    await m.transition(s.id, 'paused');
    await m.speakerConnected(s);
    expect(s.state).toBe('paused');
    expect((await store.getSession(s.id))?.pauseReason).toBe('speaker');
    expect(await s.acceptAudio({ seq: 1, captureTimeMs: 0, samples: new Int16Array(160) })).toBe('refused');
    expect(s.lastSpeakerSeq).toBeNull();
  });

  it('shutdown pauses live sessions as server-paused, with their last audio seq', async () => {
    const { m, store } = sessions();
    const s = await m.create('owner', 'en', null);
    await m.speakerConnected(s);
    expect(await s.acceptAudio({ seq: 7, captureTimeMs: 0, samples: new Int16Array(160) })).toBe('accepted');
    await m.shutdown();
    expect(await store.getSession(s.id)).toMatchObject({
      state: 'paused',
      pauseReason: 'shutdown',
      lastAudioSeq: 7,
    });
  });
});

describe('SessionRegistry: idle sessions', () => {
  it('pauses (reason idle) and releases a speakerless session, ends it later; ends stale stored ones', async () => {
    const now = { t: 1_000_000 };
    const store = new MemoryStore();
    await store.createSession(sessionRecord('stale-one-001', { state: 'paused', updatedAt: now.t - 10_000 }));
    // Live on another node sharing the store, perhaps: not this node's to end.
    await store.createSession(sessionRecord('elsewhere-002', { state: 'live', updatedAt: now.t - 10_000 }));
    const idle: string[] = [];
    const { m } = sessions({
      store,
      now: () => now.t,
      idlePauseMs: 1000,
      idleEndMs: 5000,
      observer: { ...observer, sessionIdle: (id) => idle.push(id) },
    });
    const s = await m.create('owner', 'en', null);
    const speaker = sink();
    s.hub.addSpeaker(speaker);
    await m.speakerConnected(s);
    await s.acceptAudio({ seq: 1, captureTimeMs: 0, samples: new Int16Array(1600) });
    expect(m.runtimeOf(s.id)?.hasPipeline).toBe(true);
    now.t += 60_000;
    await m.sweepIdle();
    expect(s.state).toBe('live'); // the speaker is still connected
    s.hub.removeSpeaker(speaker);
    now.t += 999;
    await m.sweepIdle();
    expect(s.state).toBe('live');
    now.t += 1;
    await m.sweepIdle();
    expect(s.state).toBe('paused');
    expect(s.pauseReason).toBe('idle');
    expect(m.runtimeOf(s.id)?.hasPipeline).toBe(false);
    expect(idle).toEqual([s.id]);
    expect((await store.getSession('stale-one-001'))?.state).toBe('ended');
    expect((await store.getSession('elsewhere-002'))?.state).toBe('live');
    now.t += 4000;
    await m.sweepIdle();
    expect((await store.getSession(s.id))?.state).toBe('ended');
    expect(m.liveSessions()).toEqual([]);
    await m.shutdown();
  });

  it('numbers segments on after a released pipeline restarts', async () => {
    const { m, store } = sessions();
    const s = await m.create('owner', 'en', null);
    await m.speakerConnected(s);
    const speech = new Int16Array(16000 * 2).map((_, i) => Math.round(8000 * Math.sin(i / 5)));
    const silence = new Int16Array(16000);
    let seq = 0;
    const talk = async () => {
      for (const chunk of [speech, silence])
        await s.acceptAudio({ seq: ++seq, captureTimeMs: 0, samples: chunk });
      await m.runtimeOf(s.id)?.suspend();
    };
    await talk();
    await talk();
    const ids = (await store.listSegments(s.id, { kind: 'source' })).map((x) => x.segmentId);
    expect(ids.length).toBe(2);
    expect(new Set(ids).size).toBe(2);
    await m.shutdown();
  });
});
