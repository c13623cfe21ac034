/**
 * Accuracy metrics used by tests and benchmarks. Normalisation is written down here because WER
 * and chrF figures mean nothing without it.
 */

/**
 * WER normalisation: lowercase, Unicode letters/digits/apostrophes kept, everything else a space,
 * whitespace collapsed. Numbers are not spelled out (FLEURS references keep digits).
 */
export function normalizeForWer(text: string): string[] {
  return text
    .toLowerCase()
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}']+/gu, ' ')
    .replace(/(^|\s)'+|'+(\s|$)/g, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
}

/** Word-level Levenshtein distance. */
export function editDistance<T>(a: readonly T[], b: readonly T[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** Corpus WER: total edits / total reference words, over (hypothesis, reference) pairs. */
export function wordErrorRate(pairs: ReadonlyArray<{ hypothesis: string; reference: string }>): {
  wer: number;
  edits: number;
  words: number;
} {
  let edits = 0;
  let words = 0;
  for (const { hypothesis, reference } of pairs) {
    const ref = normalizeForWer(reference);
    edits += editDistance(normalizeForWer(hypothesis), ref);
    words += ref.length;
  }
  return { wer: words === 0 ? 0 : edits / words, edits, words };
}

function charNgrams(text: string, n: number): Map<string, number> {
  // sacreBLEU's chrF ignores whitespace.
  const chars = Array.from(text.replace(/\s+/g, ''));
  const grams = new Map<string, number>();
  for (let i = 0; i + n <= chars.length; i++) {
    const g = chars.slice(i, i + n).join('');
    grams.set(g, (grams.get(g) ?? 0) + 1);
  }
  return grams;
}

/**
 * Corpus-level chrF (character n-grams 1–6, β = 2), as sacreBLEU computes it by default
 * (chrF2, no word n-grams): statistics are summed over all sentences, then averaged over n.
 * Returns 0–100.
 */
export function chrF(
  pairs: ReadonlyArray<{ hypothesis: string; reference: string }>,
  maxN = 6,
  beta = 2,
): number {
  const matches = new Array<number>(maxN).fill(0);
  const hypTotal = new Array<number>(maxN).fill(0);
  const refTotal = new Array<number>(maxN).fill(0);
  for (const { hypothesis, reference } of pairs) {
    for (let n = 1; n <= maxN; n++) {
      const h = charNgrams(hypothesis, n);
      const r = charNgrams(reference, n);
      for (const [g, c] of h) {
        hypTotal[n - 1] = hypTotal[n - 1]! + c;
        matches[n - 1] = matches[n - 1]! + Math.min(c, r.get(g) ?? 0);
      }
      for (const c of r.values()) refTotal[n - 1] = refTotal[n - 1]! + c;
    }
  }
  let precision = 0;
  let recall = 0;
  let effective = 0;
  for (let n = 0; n < maxN; n++) {
    if (hypTotal[n]! > 0 && refTotal[n]! > 0) {
      precision += matches[n]! / hypTotal[n]!;
      recall += matches[n]! / refTotal[n]!;
      effective++;
    }
  }
  if (effective === 0) return 0;
  precision /= effective;
  recall /= effective;
  if (precision + recall === 0) return 0;
  const b2 = beta * beta;
  return (100 * ((1 + b2) * precision * recall)) / (b2 * precision + recall);
}
