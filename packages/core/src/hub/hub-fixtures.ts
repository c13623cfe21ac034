/**
 * What the SessionHub tests build on: a client socket that keeps what the hub sends it, a hub on
 * an in-memory bus, and the pipeline output (captions, audio packets) a worker would publish.
 */
import { type CaptionEvent, decodeListenerAudioPacket, type ListenerAudioPacket } from '@babelcast/protocol';
import { InMemoryBus } from '../bus/bus.ts';
import { type LanguageDemand, type SessionOutput, subjects } from '../bus/subjects.ts';
import { TEST_HUB } from '../testing/defaults.ts';
import { type ClientSink, SessionHub, type SessionHubOptions } from './session-hub.ts';

/** A listener's or speaker's socket that reads everything at once and keeps it. */
export class FakeSink implements ClientSink {
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
  /** The JSON messages of one type, in the order sent. */
  of(type: string) {
    return this.texts.filter((t) => t.type === type);
  }
  captions() {
    return this.of('caption');
  }
  /** The audio packets sent, decoded as a listener's page decodes them. */
  packets(): ListenerAudioPacket[] {
    return this.binaries.map((b) => decodeListenerAudioPacket(b));
  }
}

type Fields<T> = Partial<Omit<T, 'seq'>>;

/** A caption as the pipeline publishes it: a final English one of segment 1 unless `fields` say otherwise. */
export function captionEvent(seq: number, fields: Fields<CaptionEvent> = {}): CaptionEvent {
  return {
    type: 'caption',
    kind: 'final',
    seq,
    segmentId: 1,
    lang: 'en',
    text: '',
    mediaStartMs: 0,
    mediaEndMs: 1,
    emittedAt: 0,
    ...fields,
  };
}

/** One Spanish audio packet (first and last of segment 1, one 60-byte frame) unless `fields` say otherwise. */
function audioPacket(seq: number, fields: Fields<ListenerAudioPacket> = {}): ListenerAudioPacket {
  return {
    seq,
    segmentId: 1,
    packetIndex: 0,
    offsetMs: 0,
    mediaStartMs: 0,
    mediaEndMs: 1000,
    sampleRate: 24000,
    frameDurationMs: 20,
    language: 'es',
    flags: 3,
    frames: [new Uint8Array(60)],
    ...fields,
  };
}

/**
 * A hub for session `s` (or `options.sessionId`) on its own in-memory bus, listener counts sent
 * without delay; `options` override the test settings. `demands` collects every demand the hub
 * announces; `caption` and `audio` publish the session's output numbered 1, 2, 3… as a worker does.
 */
export function hubFixture(options: Partial<Omit<SessionHubOptions, 'bus'>> = {}) {
  const sessionId = options.sessionId ?? 's';
  const bus = new InMemoryBus();
  const demands: LanguageDemand[] = [];
  bus.subscribe(subjects.allDemand(sessionId), (m) => demands.push(m));
  const hub = new SessionHub({ ...TEST_HUB, countsDebounceMs: 0, ...options, sessionId, bus });
  const publish = (m: SessionOutput) => bus.publish(subjects.output(sessionId), m);
  let seq = 0;
  const caption = (fields: Fields<CaptionEvent> = {}) =>
    publish({ type: 'caption', event: captionEvent(++seq, fields) });
  const audio = (fields: Fields<ListenerAudioPacket> = {}) =>
    publish({ type: 'audio', packet: audioPacket(++seq, fields) });
  return { bus, hub, demands, publish, caption, audio };
}
