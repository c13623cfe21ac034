/** A replay is bounded by the listener's send buffer like live captions are (issue 10: replay flood). */
import { CloseCode } from '@babelcast/protocol';
import { describe, expect, it } from 'vitest';
import { hubFixture } from './hub-fixtures.ts';
import type { ClientSink } from './session-hub.ts';

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

/** A hub with a 16 kB send limit whose history holds 200 final captions of 1000 characters: 200 kB. */
function hubWithLongHistory() {
  const { hub, caption } = hubFixture({ maxBufferedBytes: 16 * 1024 });
  for (let segmentId = 1; segmentId <= 200; segmentId++) caption({ segmentId, text: 'x'.repeat(1000) });
  return hub;
}

describe('SessionHub.replay', () => {
  it('stops and closes the listener with SLOW_CONSUMER once its queue passes maxBufferedBytes', () => {
    const hub = hubWithLongHistory();
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
    const hub = hubWithLongHistory();
    const sink = new NonReadingSink();
    hub.addListener('l', sink, 'es');
    Object.defineProperty(sink, 'bufferedAmount', { get: () => 0, set: () => {} });
    hub.replay('l', -1);
    expect(sink.sent).toBe(200);
    expect(sink.closed).toBeNull();
    hub.close();
  });
});
