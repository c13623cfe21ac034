/**
 * Checks what the listener actually hears: pieces must never overlap, and inside one voice chunk
 * they must join without silence. Between chunks silence is expected, even inside one segment:
 * in simultaneous mode the next clause is voiced only once the speaker has said it. The page
 * exposes the counts to tests; both should stay 0.
 */
export class PlayoutContinuity {
  overlaps = 0;
  gapsInChunks = 0;
  private last: { chunk: string; end: number } | null = null;

  /** Half a sample at 24 kHz of tolerance for floating-point clock arithmetic. */
  constructor(private readonly tolerance = 0.5 / 24_000) {}

  /** Record a piece of `chunk` scheduled at context time `at` for `duration` seconds. */
  note(chunk: string, at: number, duration: number): void {
    if (this.last) {
      if (at < this.last.end - this.tolerance) this.overlaps++;
      else if (chunk === this.last.chunk && at > this.last.end + this.tolerance) this.gapsInChunks++;
    }
    this.last = { chunk, end: at + duration };
  }

  /** After a language switch the queue starts from silence. */
  reset(): void {
    this.last = null;
  }
}
