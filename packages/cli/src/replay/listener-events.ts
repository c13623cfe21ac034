/**
 * What a replay listener records: each caption, draft and audio packet the server sends it, as a
 * ReplayEvent with its arrival time. Source captions go to every listener; only the first one
 * records them, so each is counted once.
 */
import { type CaptionEvent, type DraftEvent, decodeListenerAudioPacket } from '@babelcast/protocol';
import type { Incoming } from './connection.ts';
import type { ReplayEvent } from './types.ts';

export interface ListenerView {
  /** The language this listener asked for. */
  lang: string;
  /** The first listener records the source captions for all. */
  recordsSource: boolean;
  /** ms since the first frame was sent, of a message's arrival. */
  since: (at: number) => number;
}

/** The event a listener message stands for, or undefined (a welcome, another language's draft, a replayed caption). */
export function listenerEvent(m: Incoming, view: ListenerView): ReplayEvent | undefined {
  if (m.binary) return audioEvent(m.binary, view.since(m.at));
  const msg = m.json;
  if (!msg) return undefined;
  if (msg.type === 'draft') {
    const d = msg as unknown as DraftEvent;
    if (d.lang !== view.lang) return undefined;
    return {
      type: 'draft',
      lang: d.lang,
      segment: d.segment ?? d.segmentId,
      seq: d.seq,
      text: d.text,
      mediaStartMs: d.mediaStartMs,
      mediaEndMs: d.mediaEndMs,
      receivedMs: view.since(m.at),
    };
  }
  if (msg.type !== 'caption' || msg.replay) return undefined;
  const c = msg as unknown as CaptionEvent;
  if (c.kind !== 'translation' && !view.recordsSource) return undefined;
  if (c.kind === 'translation' && c.lang !== view.lang) return undefined;
  return {
    type: c.kind,
    lang: c.lang,
    segment: c.segmentId,
    seq: c.seq,
    text: c.text,
    mediaStartMs: c.mediaStartMs,
    mediaEndMs: c.mediaEndMs,
    receivedMs: view.since(m.at),
  };
}

function audioEvent(binary: Uint8Array, receivedMs: number): ReplayEvent {
  const p = decodeListenerAudioPacket(binary);
  return {
    type: 'audio',
    lang: p.language,
    segment: p.segmentId,
    seq: p.seq,
    mediaStartMs: p.mediaStartMs,
    mediaEndMs: p.mediaEndMs,
    receivedMs,
    durationMs: p.frames.length * p.frameDurationMs,
    packetIndex: p.packetIndex,
    flags: p.flags,
  };
}
