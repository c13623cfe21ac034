import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { InMemoryBus } from '../bus/bus.ts';
import { type SessionEvent, type SessionOutput, subjects } from '../bus/subjects.ts';
import { createFakeEngines } from '../engines/fakes/index.ts';
import { nullObserver } from '../pipeline/types.ts';
import { SessionRuntime } from '../session/session-runtime.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { TEST_PIPELINE } from '../testing/defaults.ts';
import { sessionRecord } from '../testing/store-conformance.ts';
import { InMemoryLeases, LeaseTable } from './leases.ts';
import { WorkerNode } from './worker-node.ts';

const logger = pino({ level: 'silent' });
const speech = new Int16Array(16000 * 2).map((_, i) => Math.round(8000 * Math.sin(i / 5)));
const silence = new Int16Array(16000);

async function eventually(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function runtime(bus: InMemoryBus, store: MemoryStore, id: string, takeover?: string) {
  return SessionRuntime.start({
    sessionId: id,
    sourceLanguage: 'en',
    engines: createFakeEngines(),
    bus,
    store,
    logger,
    observer: nullObserver,
    pipeline: { ...TEST_PIPELINE, mode: 'sentence' },
    logTranscripts: false,
    firstSeq: 0,
    firstSegmentId: 0,
    ...(takeover ? { takeover: { worker: takeover } } : {}),
  });
}

describe('SessionRuntime takeover', () => {
  it('a successor resumes after the last acknowledged frame, numbering on without reuse', async () => {
    const bus = new InMemoryBus();
    const store = new MemoryStore();
    const id = 'brave-otter-101';
    const out: SessionOutput[] = [];
    const events: SessionEvent[] = [];
    bus.subscribe(subjects.output(id), (m) => out.push(m));
    bus.subscribe(subjects.state(id), (e) => events.push(e));
    let seq = 0;
    const send = (samples: Int16Array) =>
      bus.publish(subjects.audio(id), { type: 'frame', seq: ++seq, captureTimeMs: 0, samples });

    const first = await runtime(bus, store, id);
    for (const s of [speech, silence]) send(s);
    // The sentence is finished and translated: a quiet point, acknowledged on the next frame.
    await eventually(() => out.some((m) => m.type === 'caption' && m.event.kind === 'final'), 'first final');
    await new Promise((r) => setTimeout(r, 600));
    send(silence);
    const acked = seq;
    // Then a sentence in flight when the worker dies: it stops without acknowledging anything more.
    send(speech);
    await first.close();
    const firstSeqs = out.map((m) =>
      m.type === 'audio' ? m.packet.seq : m.type === 'caption' ? m.event.seq : 0,
    );

    const second = await runtime(bus, store, id, 'w2');
    expect(second.resumed).toBe(true);
    expect(events).toContainEqual({ type: 'resumed', worker: 'w2' });
    send(silence);
    await eventually(
      () => out.filter((m) => m.type === 'caption' && m.event.kind === 'final').length >= 2,
      'the sentence in flight, recognised again',
    );
    const finals = out.flatMap((m) => (m.type === 'caption' && m.event.kind === 'final' ? [m.event] : []));
    // Segment ids go on; the second sentence keeps its media time (after the first one's).
    expect(finals.map((f) => f.segmentId)).toEqual([1, 2]);
    expect(finals[1]!.mediaStartMs).toBeGreaterThanOrEqual(finals[0]!.mediaEndMs);
    expect(acked).toBeGreaterThan(2);
    // No seq reused: everything the successor says is numbered past its predecessor's last.
    const secondSeqs = out
      .slice(firstSeqs.length)
      .map((m) => (m.type === 'audio' ? m.packet.seq : m.type === 'caption' ? m.event.seq : 0))
      .filter((s) => s > 0);
    expect(Math.min(...secondSeqs)).toBeGreaterThan(Math.max(...firstSeqs));
    await second.close();
  });
});

describe('WorkerNode', () => {
  it('shares live sessions out between workers; a stopping worker hands its sessions over', async () => {
    const bus = new InMemoryBus();
    const store = new MemoryStore();
    const ids = ['calm-heron-102', 'bold-lynx-103', 'wise-owl-104', 'keen-hawk-105'];
    for (const id of ids) await store.createSession(sessionRecord(id, { state: 'live' }));
    const table = new LeaseTable(300);
    const worker = (name: string) =>
      new WorkerNode({
        workerId: name,
        engines: createFakeEngines(),
        bus,
        store,
        leases: new InMemoryLeases(name, table),
        logger,
        observer: nullObserver,
        pipeline: TEST_PIPELINE,
        logTranscripts: false,
        maxSessions: 8,
        scanEveryMs: 50,
        claimDelayPerSessionMs: 100,
      });
    const w1 = worker('w1');
    const w2 = worker('w2');
    w1.start();
    w2.start();
    await eventually(() => w1.sessions.length + w2.sessions.length === 4, 'all claimed');
    expect(Math.min(w1.sessions.length, w2.sessions.length)).toBeGreaterThanOrEqual(1);
    // Each session is held by exactly one worker.
    expect(new Set([...w1.sessions, ...w2.sessions]).size).toBe(4);
    await w1.close();
    await eventually(() => w2.sessions.length === 4, 'w2 took them over');
    await w2.close();
    expect(table.held.size).toBe(0);
  });
});
