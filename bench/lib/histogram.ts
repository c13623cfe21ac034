/**
 * A mergeable latency histogram: 0.05 ms buckets to 10 ms, 1 ms to 1 s, 20 ms to 120 s. Listener
 * processes fill one each and the benchmark merges them, so a million samples never cross IPC.
 */
const FINE = 200; // 0–10 ms in 0.05 ms
const MID = 990; // 10–1000 ms in 1 ms
const COARSE = 5950; // 1–120 s in 20 ms

function bucketOf(ms: number): number {
  if (ms < 10) return Math.max(0, Math.floor(ms / 0.05));
  if (ms < 1000) return FINE + Math.floor(ms - 10);
  return Math.min(FINE + MID + COARSE - 1, FINE + MID + Math.floor((ms - 1000) / 20));
}

function upperOf(bucket: number): number {
  if (bucket < FINE) return (bucket + 1) * 0.05;
  if (bucket < FINE + MID) return 10 + (bucket - FINE + 1);
  return 1000 + (bucket - FINE - MID + 1) * 20;
}

export interface HistogramJSON {
  counts: Record<number, number>;
  n: number;
  max: number;
  sum: number;
}

export class Histogram {
  private counts = new Map<number, number>();
  n = 0;
  max = 0;
  sum = 0;

  add(ms: number): void {
    const v = Math.max(0, ms);
    const b = bucketOf(v);
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
    this.n++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  merge(other: HistogramJSON): void {
    for (const [b, c] of Object.entries(other.counts))
      this.counts.set(Number(b), (this.counts.get(Number(b)) ?? 0) + c);
    this.n += other.n;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }

  /** Upper edge of the bucket holding the p-th percentile (nearest rank). */
  percentile(p: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (const b of [...this.counts.keys()].sort((x, y) => x - y)) {
      seen += this.counts.get(b)!;
      if (seen >= rank) return Math.round(Math.min(upperOf(b), this.max) * 100) / 100;
    }
    return this.max;
  }

  summary() {
    const r = (x: number) => Math.round(x * 100) / 100;
    return {
      n: this.n,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.n ? r(this.max) : null,
      mean: this.n ? r(this.sum / this.n) : null,
    };
  }

  toJSON(): HistogramJSON {
    return { counts: Object.fromEntries(this.counts), n: this.n, max: this.max, sum: this.sum };
  }
}
