/**
 * The MessageBus contract, run against every implementation (in memory, NATS). A bus package
 * calls `describeBusConformance('nats', makeFabric)` from its own test file. Each test gets a
 * fresh fabric (its own subject prefix, streams and buckets) and destroys it afterwards.
 *
 * Two buses from one fabric are two processes' views of the same bus (a gateway and a worker);
 * in memory, one process has one bus, so a fabric may hand out the same instance twice.
 */
import { AudioPacketFlag } from '@babelcast/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusStatus, MessageBus } from '../bus/bus.ts';
import {
  type LanguageDemand,
  type SessionEvent,
  type SessionOutput,
  type SpeakerFrame,
  subjects,
} from '../bus/subjects.ts';

export interface BusFabric {
  /** A bus attached to this fabric. */
  connect(): Promise<MessageBus>;
  /** Close every bus made here and delete what the fabric created (streams, buckets). */
  destroy(): Promise<void>;
}

export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

export function speakerFrame(seq: number, samples = 160): SpeakerFrame {
  const pcm = new Int16Array(samples);
  for (let i = 0; i < samples; i++) pcm[i] = ((seq * 31 + i * 7) % 65_536) - 32_768;
  return { type: 'frame', seq, captureTimeMs: 1_700_000_000_000 + seq * 100, samples: pcm };
}

function caption(seq: number, lang = 'es'): SessionOutput {
  return {
    type: 'caption',
    event: {
      type: 'caption',
      kind: 'translation',
      seq,
      segmentId: seq,
      lang,
      text: `frase ${seq} — ¿qué tal? 日本`,
      mediaStartMs: seq * 1000,
      mediaEndMs: seq * 1000 + 900,
      emittedAt: 1_700_000_000_000 + seq,
    },
  };
}

/** One of each output message (the audio packet carries binary Opus frames). */
export function outputSamples(seq: number): SessionOutput[] {
  return [
    caption(seq),
    {
      type: 'audio',
      packet: {
        seq: seq + 1,
        segmentId: seq,
        packetIndex: 0,
        offsetMs: 0,
        mediaStartMs: 1000,
        mediaEndMs: 1900,
        sampleRate: 24_000,
        frameDurationMs: 20,
        language: 'es',
        flags: AudioPacketFlag.SEGMENT_START,
        frames: [new Uint8Array([1, 2, 3, 250]), new Uint8Array([0]), new Uint8Array(300).fill(7)],
      },
    },
    {
      type: 'draft',
      event: {
        type: 'draft',
        seq: seq + 2,
        segment: seq + 1,
        segmentId: seq + 1,
        lang: 'es',
        text: 'borrador',
        mediaStartMs: 2000,
        mediaEndMs: 2500,
        emittedAt: 1_700_000_000_100,
      },
    },
    { type: 'notice', notice: { type: 'notice', code: 'VOICE_SKIPPED', message: 'skipped', lang: 'es' } },
    { type: 'lag', lang: 'es', textMs: 1200 },
  ];
}

/** Compile-time part of the contract: a subject only takes and gives its own message type. */
export function typedSubjectsCompileCheck(bus: MessageBus): void {
  // @ts-expect-error a session state is not an output message
  bus.publish(subjects.output('s'), { type: 'state', state: 'live' });
  // @ts-expect-error demand goes on the demand subject only
  bus.publish(subjects.state('s'), { type: 'demand', languages: [] });
  // @ts-expect-error a caption is not a speaker frame
  bus.publish(subjects.audio('s'), caption(1));
  bus.subscribe(subjects.allDemand('s'), (m: LanguageDemand) => m.languages);
  // @ts-expect-error the state subject delivers session events, not output
  bus.subscribe(subjects.state('s'), (m: SessionOutput) => m);
}

export function describeBusConformance(name: string, makeFabric: () => Promise<BusFabric>): void {
  describe(`MessageBus conformance: ${name}`, () => {
    let fabric: BusFabric;
    let gateway: MessageBus;
    let worker: MessageBus;

    beforeEach(async () => {
      fabric = await makeFabric();
      gateway = await fabric.connect();
      worker = await fabric.connect();
    });
    afterEach(async () => {
      await fabric.destroy();
    });

    it('is connected once made', () => {
      expect(gateway.status).toBe('connected');
      expect(worker.status).toBe('connected');
    });

    it('delivers output and state to subscribers, in order and intact', async () => {
      const out: SessionOutput[] = [];
      const events: SessionEvent[] = [];
      gateway.subscribe(subjects.output('s1'), (m) => out.push(m));
      gateway.subscribe(subjects.state('s1'), (m) => events.push(m));
      await gateway.flush();
      const sent: SessionOutput[] = [];
      for (let i = 0; i < 40; i++) sent.push(...outputSamples(i * 10 + 1));
      const sentEvents: SessionEvent[] = [
        { type: 'state', state: 'live' },
        { type: 'backlog', level: 'high', seconds: 21.5 },
        { type: 'backlog', level: 'low', seconds: 9.9 },
        { type: 'state', state: 'paused' },
        { type: 'ended' },
      ];
      for (const [i, m] of sent.entries()) {
        worker.publish(subjects.output('s1'), m);
        const event = sentEvents[i];
        if (event) worker.publish(subjects.state('s1'), event);
      }
      await worker.flush();
      await until(() => out.length >= sent.length && events.length >= sentEvents.length, 'every message');
      expect(out).toEqual(sent);
      expect(events).toEqual(sentEvents);
    });

    it('delivers speaker frames on the audio subject in order, samples intact', async () => {
      const got: SpeakerFrame[] = [];
      worker.subscribe(subjects.audio('s1'), (f) => got.push(f));
      await worker.flush();
      const sent = Array.from({ length: 50 }, (_, i) => speakerFrame(i + 1, 1600));
      for (const f of sent) gateway.publish(subjects.audio('s1'), f);
      await gateway.flush();
      await until(() => got.length >= sent.length, 'every frame');
      expect(got.map((f) => f.seq)).toEqual(sent.map((f) => f.seq));
      expect(got).toEqual(sent);
    });

    it('keeps sessions and subjects apart', async () => {
      const a: unknown[] = [];
      const b: unknown[] = [];
      const aState: unknown[] = [];
      gateway.subscribe(subjects.output('a'), (m) => a.push(m));
      gateway.subscribe(subjects.output('b'), (m) => b.push(m));
      gateway.subscribe(subjects.state('a'), (m) => aState.push(m));
      await gateway.flush();
      worker.publish(subjects.output('a'), caption(1));
      worker.publish(subjects.output('b'), caption(2));
      worker.publish(subjects.output('b'), caption(3));
      await worker.flush();
      await until(() => a.length === 1 && b.length === 2, 'both sessions');
      await settle();
      expect(a).toEqual([caption(1)]);
      expect(b).toEqual([caption(2), caption(3)]);
      expect(aState).toEqual([]);
    });

    it('hands every subscriber of a subject its own copy', async () => {
      const one: SessionOutput[] = [];
      const two: SessionOutput[] = [];
      gateway.subscribe(subjects.output('s1'), (m) => one.push(m));
      gateway.subscribe(subjects.output('s1'), (m) => two.push(m));
      await gateway.flush();
      for (let seq = 1; seq <= 5; seq++) worker.publish(subjects.output('s1'), caption(seq));
      await worker.flush();
      await until(() => one.length === 5 && two.length === 5, 'both subscribers');
      expect(one).toEqual(two);
    });

    it('demand: a late subscriber gets the latest value first, then the changes in order', async () => {
      gateway.publish(subjects.demand('s1', 'g1'), {
        type: 'demand',
        languages: ['es'],
        gateway: 'g1',
        at: Date.now(),
      });
      gateway.publish(subjects.demand('s1', 'g1'), {
        type: 'demand',
        languages: ['es', 'fr'],
        gateway: 'g1',
        at: Date.now(),
      });
      await gateway.flush();
      const seen: string[][] = [];
      worker.subscribe(subjects.allDemand('s1'), (m) => seen.push(m.languages));
      await worker.flush();
      await until(() => seen.length >= 1, 'the latest demand');
      expect(seen).toEqual([['es', 'fr']]);
      const next = [['fr'], [], ['de', 'es']];
      for (const languages of next)
        gateway.publish(subjects.demand('s1', 'g1'), {
          type: 'demand',
          languages,
          gateway: 'g1',
          at: Date.now(),
        });
      await gateway.flush();
      // Latest-value semantics: changes close together may be coalesced, never reordered, and
      // the last one always arrives.
      await until(() => JSON.stringify(seen.at(-1)) === JSON.stringify(next.at(-1)), 'the last change');
      const order = [['es', 'fr'], ...next].map((l) => JSON.stringify(l));
      const positions = seen.map((l) => order.indexOf(JSON.stringify(l)));
      expect(positions[0]).toBe(0);
      expect(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!))).toBe(true);
      // Spaced out, every change arrives.
      gateway.publish(subjects.demand('s1', 'g1'), {
        type: 'demand',
        languages: ['it'],
        gateway: 'g1',
        at: Date.now(),
      });
      await until(() => JSON.stringify(seen.at(-1)) === '["it"]', 'a later change');
      // Another session's demand is its own.
      const other: string[][] = [];
      worker.subscribe(subjects.allDemand('s2'), (m) => other.push(m.languages));
      await worker.flush();
      await settle();
      expect(other).toEqual([]);
    });

    it('unsubscribe stops that handler only, and may be called twice', async () => {
      const kept: SessionOutput[] = [];
      const dropped: SessionOutput[] = [];
      gateway.subscribe(subjects.output('s1'), (m) => kept.push(m));
      const off = gateway.subscribe(subjects.output('s1'), (m) => dropped.push(m));
      const offDemand = gateway.subscribe(subjects.allDemand('s1'), () => {
        throw new Error('unsubscribed demand handler called');
      });
      await gateway.flush();
      worker.publish(subjects.output('s1'), caption(1));
      await worker.flush();
      await until(() => kept.length === 1 && dropped.length === 1, 'first caption');
      off();
      off();
      offDemand();
      worker.publish(subjects.output('s1'), caption(2));
      worker.publish(subjects.demand('s1', 'g1'), {
        type: 'demand',
        languages: ['es'],
        gateway: 'g1',
        at: Date.now(),
      });
      await worker.flush();
      await until(() => kept.length === 2, 'second caption');
      await settle();
      expect(dropped).toHaveLength(1);
    });

    it('audio: 100 frames, 60 processed and acked; the next consumer gets 61–100 exactly once', async () => {
      const first: number[] = [];
      const consumer = await worker.consumeAudio('s1', (f) => first.push(f.seq));
      for (let seq = 1; seq <= 100; seq++)
        await gateway.publishAcked(subjects.audio('s1'), speakerFrame(seq));
      await until(() => first.length >= 100, 'every frame to the first consumer');
      expect(first).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      // "Process" 60 frames, acknowledging as it goes, then die.
      for (let seq = 10; seq <= 60; seq += 10) await consumer.ack(seq);
      await consumer.close();

      const successor = await fabric.connect();
      const second: SpeakerFrame[] = [];
      const next = await successor.consumeAudio('s1', (f) => second.push(f));
      await until(() => second.length >= 40, 'frames 61–100');
      await settle(300);
      expect(second.map((f) => f.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 61));
      expect(second[0]).toEqual(speakerFrame(61));
      // New frames follow on the same consumer.
      await gateway.publishAcked(subjects.audio('s1'), speakerFrame(101));
      await until(() => second.length === 41, 'frame 101');
      expect(second.at(-1)?.seq).toBe(101);
      await next.close();
      await next.close();
    });

    it('audio: a new consumer takes over; the old one gets nothing more', async () => {
      const old: number[] = [];
      const fresh: number[] = [];
      const a = await worker.consumeAudio('s1', (f) => old.push(f.seq));
      for (let seq = 1; seq <= 5; seq++) await gateway.publishAcked(subjects.audio('s1'), speakerFrame(seq));
      await until(() => old.length === 5, 'first frames');
      await a.ack(5);
      const b = await worker.consumeAudio('s1', (f) => fresh.push(f.seq));
      for (let seq = 6; seq <= 10; seq++) await gateway.publishAcked(subjects.audio('s1'), speakerFrame(seq));
      await until(() => fresh.length === 5, 'later frames');
      await settle();
      expect(old).toEqual([1, 2, 3, 4, 5]);
      expect(fresh).toEqual([6, 7, 8, 9, 10]);
      await b.close();
    });

    it('endSession drops the latest demand and the stored frames', async () => {
      const c = await worker.consumeAudio('s1', () => {});
      for (let seq = 1; seq <= 3; seq++) await gateway.publishAcked(subjects.audio('s1'), speakerFrame(seq));
      await c.close();
      gateway.publish(subjects.demand('s1', 'g1'), {
        type: 'demand',
        languages: ['es'],
        gateway: 'g1',
        at: Date.now(),
      });
      await gateway.flush();
      await worker.endSession('s1');
      const demand: unknown[] = [];
      const frames: number[] = [];
      worker.subscribe(subjects.allDemand('s1'), (m) => demand.push(m));
      const again = await worker.consumeAudio('s1', (f) => frames.push(f.seq));
      await worker.flush();
      await settle(300);
      expect(demand).toEqual([]);
      expect(frames).toEqual([]);
      await again.close();
    });

    it('close: idempotent, reported, and publishing afterwards is a no-op', async () => {
      const statuses: BusStatus[] = [];
      const bus = await fabric.connect();
      bus.onStatus((s) => statuses.push(s));
      await bus.close();
      await bus.close();
      expect(bus.status).toBe('closed');
      expect(statuses).toContain('closed');
      expect(() => bus.publish(subjects.output('s1'), caption(1))).not.toThrow();
      expect(() => bus.subscribe(subjects.output('s1'), () => {})()).not.toThrow();
    });
  });
}
