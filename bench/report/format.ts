/** Cell formatting shared by the report's sections. */

/** A figure, or an en dash where there is none. */
export const f = (x: unknown) => (x === null || x === undefined ? '–' : String(x));

export type Trio = { n?: number; mean: number | null; p50?: number | null; p95: number | null };

/** "mean / p95", or an en dash. */
export const mp = (x: Trio | undefined) => (x ? `${f(x.mean)} / ${f(x.p95)}` : '–');
