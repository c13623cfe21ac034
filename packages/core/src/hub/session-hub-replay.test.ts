/** A replay is bounded by the listener's send buffer like live captions are (issue 10: replay flood). */
import { CloseCode } from '@babelcast/protocol';
import { describe, expect, it } from 'vitest';
import { InMemoryBus } from '../bus/bus.ts';
import { subjects } from '../bus/subjects.ts';
import { TEST_HUB } from '../testing/defaults.ts';
import { type ClientSink, SessionHub } from './session-hub.ts';

/** A socket nobody reads: everything sent stays queued. */
class NonReadingSink implements ClientSink {
  bufferedAmount = 0;
  sent = 0;
  closed: { code: number; reason: string } | null = null;
  sendText(data: string) {
    this.sent++;
    this.bufferedAmount += Buffer.byteLength(data);
  }
  sendBinary(data: Uint8Array) {
    this.bufferedAmount += data.byteLength;
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
  }
}

describe('SessionHub.replay', () => {
  it('stops and closes the listener with SLOW_CONSUMER once its queue passes maxBufferedBytes', () => {
    const bus = new InMemoryBus();
    const hub = new SessionHub({ ...TEST_HUB, sessionId: 's', bus, maxBufferedBytes: 16 * 1024 });
    const text = 'x'.repeat(1000);
    for (let seq = 1; seq <= 200; seq++)
      bus.publish(subjects.output('s'), {
        type: 'caption',
        event: {
          type: 'caption',
          kind: 'final',
          seq,
          segmentId: seq,
          lang: 'en',
          text,
          mediaStartMs: 0,
          mediaEndMs: 1,
          emittedAt: 0,
        },
      });
    const sink = new NonReadingSink();
    hub.addListener('l', sink, 'es');
    hub.replay('l', -1);
    expect(sink.closed?.code).toBe(CloseCode.SLOW_CONSUMER);
    // It got what fits under the limit (plus the one that crossed it), not the 200 kB of history.
    expect(sink.sent).toBeLessThan(20);
    expect(hub.listenerCount).toBe(0);
    // Asking again does nothing: the listener is gone.
    hub.replay('l', -1);
    expect(sink.sent).toBeLessThan(20);
    hub.close();
  });

  it('sends the whole history to a listener that keeps up', () => {
    const bus = new InMemoryBus();
    const hub = new SessionHub({ ...TEST_HUB, sessionId: 's', bus, maxBufferedBytes: 16 * 1024 });
    for (let seq = 1; seq <= 200; seq++)
      bus.publish(subjects.output('s'), {
        type: 'caption',
        event: {
          type: 'caption',
          kind: 'final',
          seq,
          segmentId: seq,
          lang: 'en',
          text: 'x'.repeat(1000),
          mediaStartMs: 0,
          mediaEndMs: 1,
          emittedAt: 0,
        },
      });
    const sink = new NonReadingSink();
    hub.addListener('l', sink, 'es');
    Object.defineProperty(sink, 'bufferedAmount', { get: () => 0, set: () => {} });
    hub.replay('l', -1);
    expect(sink.sent).toBe(200);
    expect(sink.closed).toBeNull();
    hub.close();
  });
});
