import { describe, expect, it } from 'vitest';
import { describeBusConformance } from '../testing/bus-conformance.ts';
import { InMemoryBus } from './bus.ts';
import { subjects } from './subjects.ts';

describeBusConformance('in memory', async () => {
  // One process, one bus: the gateway and the worker share it.
  const bus = new InMemoryBus();
  return { connect: async () => bus, destroy: () => bus.close() };
});

describe('InMemoryBus', () => {
  it('delivers before publish returns, so one process behaves exactly as without a bus', () => {
    const bus = new InMemoryBus();
    const got: number[] = [];
    bus.subscribe(subjects.state('s'), (m) => m.type === 'backlog' && got.push(m.seconds));
    bus.publish(subjects.state('s'), { type: 'backlog', level: 'high', seconds: 3 });
    expect(got).toEqual([3]);
  });

  it('bounds the frames it keeps for an audio consumer', async () => {
    const bus = new InMemoryBus({ maxRetainedFrames: 10 });
    const c = await bus.consumeAudio('s', () => {});
    for (let seq = 1; seq <= 30; seq++)
      bus.publish(subjects.audio('s'), { type: 'frame', seq, captureTimeMs: 0, samples: new Int16Array(1) });
    await c.close();
    const replayed: number[] = [];
    await bus.consumeAudio('s', (f) => replayed.push(f.seq));
    expect(replayed).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  });

  it('refuses session ids that are not one subject token', () => {
    expect(() => subjects.output('a.b')).toThrow(RangeError);
    expect(() => subjects.output('a*')).toThrow(RangeError);
    expect(() => subjects.output('')).toThrow(RangeError);
  });
});
