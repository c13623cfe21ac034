/** Percentiles as the reports print them: nearest rank on the sorted sample, no interpolation. */

export interface Percentiles {
  n: number;
  p50: number | null;
  p95: number | null;
}

export interface Distribution extends Percentiles {
  p99: number | null;
  max: number | null;
  mean: number | null;
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

const round1 = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: round1(percentile(sorted, 50)), p95: round1(percentile(sorted, 95)) };
}

export interface MeanPercentiles extends Percentiles {
  mean: number | null;
}

export function mean(values: readonly number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/** n, mean, p50, p95 (rounded to 0.1 ms): the shape of the summary's lag figures. */
export function meanPercentiles(values: readonly number[]): MeanPercentiles {
  const p = percentiles(values);
  return { n: p.n, mean: round1(mean(values)), p50: p.p50, p95: p.p95 };
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null;
  return {
    n: sorted.length,
    p50: round1(percentile(sorted, 50)),
    p95: round1(percentile(sorted, 95)),
    p99: round1(percentile(sorted, 99)),
    max: round1(sorted.at(-1) ?? null),
    mean: round1(mean),
  };
}
