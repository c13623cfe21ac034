/**
 * Decides when each decoded piece of translated speech plays, on the AudioContext clock (seconds).
 *
 * Speech comes in voice chunks: a whole sentence in sentence mode, a clause at a time in
 * simultaneous mode (several chunks per segment, their offsets continuing across the segment).
 * Audio arrives in bursts (TTS runs faster than real time, the network jitters), so the first piece
 * of a chunk waits `startDelay` to build a small cushion; the rest of the chunk is placed by its
 * offset, so pieces join without gaps. If a piece comes too late for its slot, the rest of the chunk
 * slides later rather than overlapping or being cut. Chunks never overlap: a new one starts after
 * the previous one ends, or from silence with its own cushion when the previous one has finished
 * (the speaker is still talking and the next clause was not voiced yet). When the backlog is longer
 * than `maxBacklog` (the listener fell far behind), new chunks are skipped; captions still show them.
 */
export interface PlayoutOptions {
  /** Cushion before the first piece of a sentence that starts from silence, seconds. */
  startDelay: number;
  /** Never schedule closer to `now` than this: Web Audio needs a little lead time. */
  minLead: number;
  /** Skip a new chunk when already this many seconds are queued. */
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
  /** The voice chunk the piece belongs to (`voiceChunkKey`). */
  chunk: string;
  /** Position of the piece inside its segment's audio, seconds. */
  offset: number;
  duration: number;
}

/**
 * Tells voice chunks apart: every packet of a chunk carries the span of speech the chunk
 * translates, and chunks of one segment translate different spans. Derived from each packet alone,
 * so a lost first packet (the one flagged as a chunk's start) cannot merge two chunks.
 */
export function voiceChunkKey(packet: {
  segmentId: number;
  mediaStartMs: number;
  mediaEndMs: number;
}): string {
  return `${packet.segmentId}:${packet.mediaStartMs}-${packet.mediaEndMs}`;
}

interface ChunkAnchor {
  /** Context time at which offset 0 of the chunk's segment would play. */
  zero: number;
  skipped: boolean;
}

export class PlayoutSchedule {
  /** Context time when everything scheduled so far has finished. */
  private end = 0;
  private readonly chunks = new Map<string, ChunkAnchor>();
  skippedChunks = 0;

  constructor(private readonly options: PlayoutOptions = DEFAULT_PLAYOUT) {}

  /** Start time for `piece` given the current context time, or null to drop it. */
  place(piece: Piece, now: number): number | null {
    const earliest = now + this.options.minLead;
    let anchor = this.chunks.get(piece.chunk);
    if (!anchor) {
      if (this.end - now > this.options.maxBacklog) {
        this.remember(piece.chunk, { zero: 0, skipped: true });
        this.skippedChunks++;
        return null;
      }
      const start = Math.max(this.end, now + this.options.startDelay);
      anchor = { zero: start - piece.offset, skipped: false };
      this.remember(piece.chunk, anchor);
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
    this.chunks.clear();
  }

  private remember(chunk: string, anchor: ChunkAnchor): void {
    this.chunks.set(chunk, anchor);
    // Only recent chunks can still receive audio; keep the map small on long sessions.
    if (this.chunks.size > 64) this.chunks.delete(this.chunks.keys().next().value!);
  }
}
