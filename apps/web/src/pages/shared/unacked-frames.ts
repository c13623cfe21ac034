/**
 * Audio frames sent to the server but not yet acknowledged. After a reconnect the server says the
 * last seq it accepted and the page resends everything after it, so a short outage loses nothing.
 *
 * The buffer is bounded by duration (default 60 s). If an outage lasts longer, the oldest frames
 * are dropped: the server then sees a gap in seq, the speech in it is never transcribed, and the
 * page tells the speaker how much audio was lost. Memory stays at ~2 MB (60 s × 32 kB/s).
 */
export interface PendingFrame {
  seq: number;
  bytes: Uint8Array;
  durationMs: number;
}

export class UnackedFrames {
  private frames: PendingFrame[] = [];
  private totalMs = 0;
  /** Frames dropped because the buffer was full, and their total duration. */
  droppedFrames = 0;
  droppedMs = 0;

  constructor(readonly capacityMs = 60_000) {}

  push(frame: PendingFrame): void {
    const last = this.frames.at(-1);
    if (last && frame.seq <= last.seq) throw new RangeError(`seq ${frame.seq} is not after ${last.seq}`);
    this.frames.push(frame);
    this.totalMs += frame.durationMs;
    while (this.totalMs > this.capacityMs && this.frames.length > 1) {
      const old = this.frames.shift()!;
      this.totalMs -= old.durationMs;
      this.droppedFrames++;
      this.droppedMs += old.durationMs;
    }
  }

  /** Cumulative acknowledgement: forget every frame with seq ≤ `seq`. */
  ack(seq: number): void {
    let n = 0;
    while (n < this.frames.length && this.frames[n]!.seq <= seq) {
      this.totalMs -= this.frames[n]!.durationMs;
      n++;
    }
    if (n > 0) this.frames.splice(0, n);
  }

  /**
   * Forget every frame without counting it as lost to an outage: the server refused them on
   * purpose (the session is paused), and replaying stale audio on resume would be wrong.
   * Returns how many were forgotten.
   */
  clear(): number {
    const n = this.frames.length;
    this.frames = [];
    this.totalMs = 0;
    return n;
  }

  /** Frames to resend after the server reports `lastSeq` (null: it has none). */
  after(lastSeq: number | null): PendingFrame[] {
    return lastSeq === null ? [...this.frames] : this.frames.filter((f) => f.seq > lastSeq);
  }

  get size(): number {
    return this.frames.length;
  }

  get durationMs(): number {
    return this.totalMs;
  }

  get oldest(): PendingFrame | undefined {
    return this.frames[0];
  }
}
