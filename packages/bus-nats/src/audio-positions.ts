/**
 * Where a session's audio consumer stands: the frames it handed out, those the worker has
 * acknowledged, and the position saved for a worker that resumes the session. Bookkeeping only,
 * apart from NATS, so the consumer in nats-bus.ts keeps to subscribing and delivering.
 */
import type { ResumeMark } from '@babelcast/core';

export interface AudioPosition {
  /** Speaker seq of the last frame acknowledged as processed. */
  seq: number;
  /** Its sequence in the stream: replay starts right after it. */
  streamSeq: number;
  /** What the worker needs to resume its numbering and media clock there. */
  mark?: ResumeMark | null;
}

export class AudioPositions {
  private delivered: number;
  /** Stream position reached: a consumer made again (after a reconnect) goes on from there. */
  streamSeq: number;
  private acked: AudioPosition;
  /** Frames handed out and not acknowledged yet. */
  private readonly inFlight: AudioPosition[] = [];

  constructor(from: AudioPosition | null) {
    this.delivered = from?.seq ?? 0;
    this.streamSeq = from?.streamSeq ?? 0;
    this.acked = from ?? { seq: 0, streamSeq: 0 };
  }

  /**
   * True when speaker frame `seq` (at `streamSeq`) is to be handed out: a frame stored twice
   * (resent after the duplicate window) is handed out once. It is then in flight until acked.
   */
  deliver(seq: number, streamSeq: number): boolean {
    if (seq <= this.delivered) return false;
    this.delivered = seq;
    this.inFlight.push({ seq, streamSeq });
    return true;
  }

  /**
   * Acknowledges the frames in flight up to `seq` (and the worker's resume mark): the position to
   * save, or null when it would not move forward.
   */
  ack(seq: number, mark?: ResumeMark): AudioPosition | null {
    let last = -1;
    while (last + 1 < this.inFlight.length && this.inFlight[last + 1]!.seq <= seq) last++;
    let position: AudioPosition = this.acked;
    if (last >= 0) {
      position = this.inFlight[last]!;
      this.inFlight.splice(0, last + 1);
    }
    if (position.streamSeq < this.acked.streamSeq) return null;
    if (position === this.acked && !mark) return null;
    this.acked = { seq: position.seq, streamSeq: position.streamSeq, mark: mark ?? this.acked.mark ?? null };
    return this.acked;
  }
}
