/**
 * When did the speaker's audio at a given media position reach this process? Lag behind the
 * speaker is measured from that moment, not from the end of an utterance (which comes a pause and
 * a whole sentence later), so the speaker page and the voice's catch-up control see the lag a
 * listener feels.
 *
 * Keeps one entry per pushed buffer for the last `horizonMs` of media; older positions answer
 * with the oldest entry (a lag that old has been skipped or reported already).
 */
export class ArrivalClock {
  /** Media end (ms) of each pushed buffer and the wall time it arrived, oldest first. */
  private readonly ends: number[] = [];
  private readonly walls: number[] = [];
  private mediaMs = 0;

  constructor(
    private readonly now: () => number,
    private readonly horizonMs = 10 * 60_000,
    /** Media time of the first buffer (a worker that took a session over goes on from there). */
    startMs = 0,
  ) {
    this.mediaMs = startMs;
  }

  /** Record that `durationMs` more media arrived just now. */
  advance(durationMs: number): void {
    this.mediaMs += durationMs;
    this.ends.push(this.mediaMs);
    this.walls.push(this.now());
    // Drop in bulk, not per push: shift() on every frame would be O(n) each time.
    if (this.ends.length > 64 && this.ends[63]! < this.mediaMs - this.horizonMs) {
      this.ends.splice(0, 64);
      this.walls.splice(0, 64);
    }
  }

  /** Wall time when the audio at `mediaMs` had arrived (the buffer holding it), or now if not yet. */
  wallAt(mediaMs: number): number {
    const { ends } = this;
    if (ends.length === 0 || mediaMs > ends.at(-1)!) return this.now();
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! >= mediaMs) hi = mid;
      else lo = mid + 1;
    }
    return this.walls[lo]!;
  }
}
