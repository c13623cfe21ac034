/** Losing the NATS server: status goes to `reconnecting`, then back, and subscriptions survive. */
import { type BusStatus, type SessionOutput, subjects } from '@babelcast/core';
import { speakerFrame, until } from '@babelcast/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../src/index.ts';
import { PrivateNatsServer } from '../src/testing.ts';

let nats: PrivateNatsServer;
beforeAll(async () => {
  nats = await PrivateNatsServer.start();
});
afterAll(async () => {
  await nats?.destroy();
});

describe('NatsBus reconnect', () => {
  it('reports reconnecting while the server is gone, reconnects with backoff, and keeps its subscriptions', async () => {
    const options = { url: nats.url, prefix: 'rc', reconnect: { initialMs: 50, maxMs: 400 } };
    const gateway = await NatsBus.connect(options);
    const worker = await NatsBus.connect(options);
    const statuses: BusStatus[] = [];
    gateway.onStatus((s) => statuses.push(s));
    const out: SessionOutput[] = [];
    const demand: string[][] = [];
    gateway.subscribe(subjects.output('s1'), (m) => out.push(m));
    worker.subscribe(subjects.allDemand('s1'), (m) => demand.push(m.languages));
    const frames: number[] = [];
    const consumer = await worker.consumeAudio('s1', (f) => frames.push(f.seq));
    await gateway.flush();
    await worker.flush();
    for (let seq = 1; seq <= 3; seq++) await gateway.publishAcked(subjects.audio('s1'), speakerFrame(seq));
    await until(() => frames.length === 3, 'frames before the outage');

    await nats.stop();
    await until(
      () => gateway.status === 'reconnecting' && worker.status === 'reconnecting',
      'reconnecting',
      5000,
    );
    // A listener joins meanwhile: the demand is stored once NATS is back.
    gateway.publish(subjects.demand('s1', 'g1'), {
      type: 'demand',
      languages: ['fr'],
      gateway: 'g1',
      at: Date.now(),
    });
    await new Promise((r) => setTimeout(r, 300));
    await nats.resume();
    await until(
      () => gateway.status === 'connected' && worker.status === 'connected',
      'connected again',
      10_000,
    );
    expect(statuses).toEqual(['reconnecting', 'connected']);

    await until(() => demand.at(-1)?.[0] === 'fr', 'demand published during the outage', 15_000);
    const caption: SessionOutput = { type: 'lag', lang: 'es', textMs: 1 };
    worker.publish(subjects.output('s1'), caption);
    gateway.publish(subjects.demand('s1', 'g1'), {
      type: 'demand',
      languages: ['es'],
      gateway: 'g1',
      at: Date.now(),
    });
    await gateway.publishAcked(subjects.audio('s1'), speakerFrame(4));
    await until(() => out.length === 1, 'output after the reconnect');
    await until(() => demand.at(-1)?.[0] === 'es', 'demand after the reconnect', 10_000);
    await until(() => frames.length === 4, 'audio after the reconnect', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(out).toEqual([caption]);
    // The audio consumer was made again where it stood: nothing twice, nothing lost.
    expect(frames).toEqual([1, 2, 3, 4]);

    await consumer.close();
    await gateway.close();
    await worker.close();
    expect(gateway.status).toBe('closed');
  }, 60_000);
});
