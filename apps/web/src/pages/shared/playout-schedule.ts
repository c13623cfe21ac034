/**
 * Decides when each decoded piece of translated speech plays, on the AudioContext clock (seconds).
 *
 * Audio arrives in bursts (TTS runs faster than real time, the network jitters), so the first piece
 * of a sentence waits `startDelay` to build a small cushion; the rest of the sentence is placed by
 * its offset within the sentence, so pieces join without gaps. If a piece comes too late for its
 * slot, the rest of the sentence slides later rather than overlapping or being cut. Sentences never
 * overlap: a new one starts after the previous one ends. When the backlog is longer than
 * `maxBacklog` (the listener fell far behind), new sentences are skipped; captions still show them.
 */
export interface PlayoutOptions {
  /** Cushion before the first piece of a sentence that starts from silence, seconds. */
  startDelay: number;
  /** Never schedule closer to `now` than this: Web Audio needs a little lead time. */
  minLead: number;
  /** Skip a new sentence when already this many seconds are queued. */
  maxBacklog: number;
  /**
   * A piece due within this distance of the end of the queue joins it exactly: decoders may return
   * a few samples more or less than the nominal frame, which must not become clicks or overlaps.
   */
  snap: number;
}

export const DEFAULT_PLAYOUT: PlayoutOptions = {
  startDelay: 0.15,
  minLead: 0.02,
  maxBacklog: 12,
  snap: 0.01,
};

export interface Piece {
  segmentId: number;
  /** Position of the piece inside the sentence's audio, seconds. */
  offset: number;
  duration: number;
}

interface SegmentAnchor {
  /** Context time at which offset 0 of the segment plays. */
  zero: number;
  skipped: boolean;
}

export class PlayoutSchedule {
  /** Context time when everything scheduled so far has finished. */
  private end = 0;
  private readonly segments = new Map<number, SegmentAnchor>();
  skippedSegments = 0;

  constructor(private readonly options: PlayoutOptions = DEFAULT_PLAYOUT) {}

  /** Start time for `piece` given the current context time, or null to drop it. */
  place(piece: Piece, now: number): number | null {
    const earliest = now + this.options.minLead;
    let anchor = this.segments.get(piece.segmentId);
    if (!anchor) {
      if (this.end - now > this.options.maxBacklog) {
        this.remember(piece.segmentId, { zero: 0, skipped: true });
        this.skippedSegments++;
        return null;
      }
      const start = Math.max(this.end, now + this.options.startDelay);
      anchor = { zero: start - piece.offset, skipped: false };
      this.remember(piece.segmentId, anchor);
    }
    if (anchor.skipped) return null;
    let start = anchor.zero + piece.offset;
    if (Math.abs(start - this.end) <= this.options.snap && this.end >= earliest) {
      anchor.zero += this.end - start;
      start = this.end;
    }
    // Late or out-of-order pieces must neither overlap what is queued nor play in the past.
    const floor = Math.max(earliest, this.end);
    if (start < floor) {
      anchor.zero += floor - start;
      start = floor;
    }
    this.end = Math.max(this.end, start + piece.duration);
    return start;
  }

  /** Seconds of audio queued ahead of `now`. */
  backlog(now: number): number {
    return Math.max(0, this.end - now);
  }

  /** Forget everything queued (language switch): the caller stops the sources it started. */
  reset(): void {
    this.end = 0;
    this.segments.clear();
  }

  private remember(segmentId: number, anchor: SegmentAnchor): void {
    this.segments.set(segmentId, anchor);
    // Only recent segments can still receive audio; keep the map small on long sessions.
    if (this.segments.size > 64) this.segments.delete(this.segments.keys().next().value!);
  }
}
