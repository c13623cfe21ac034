/**
 * Reference translations for the joined clips: `long-en-02` is fleurs-en-01..05 joined with
 * silence (the manifest's `source` column lists the clips and the gaps), and each FLEURS clip has
 * reference translations. A translation event belongs to the clip whose stretch of the joined
 * audio holds the middle of its media span (stretches end half-way through the gaps).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDataDir, speechManifest, speechTranslations } from '@babelcast/core/testing';

export interface JoinedPart {
  file: string;
  /** Where the part's audio starts and ends in the joined file, ms. */
  startMs: number;
  endMs: number;
}

/** The parts of a joined clip, or null when the manifest does not describe it as joined clips of this set. */
export function joinedParts(file: string): JoinedPart[] | null {
  const lines = readFileSync(join(sharedDataDir(), 'speech/manifest.tsv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split('\t');
  const row = lines.slice(1).find((l) => l.split('\t')[header.indexOf('file')] === file);
  const source = row?.split('\t')[header.indexOf('source')] ?? '';
  if (!/CONCATENATION of this set's/.test(source)) return null;
  const files = [...source.matchAll(/([a-z]+-[a-z]{2}-\d+\.wav)/g)].map((m) => m[1]!);
  const gaps = (source.match(/silence gaps \(s\): ([\d.,]+)/)?.[1] ?? '').split(',').map(Number);
  const durations = new Map(speechManifest().map((r) => [r.file, r.durationS * 1000]));
  if (files.length === 0 || gaps.length !== files.length - 1 || files.some((f) => !durations.has(f)))
    return null;
  const parts: JoinedPart[] = [];
  let at = 0;
  files.forEach((f, i) => {
    const end = at + durations.get(f)!;
    parts.push({ file: f, startMs: at, endMs: end });
    at = end + (gaps[i] ?? 0) * 1000;
  });
  return parts;
}

/**
 * (hypothesis, reference) per part of a joined clip for one target language: the translations
 * whose span's middle falls in the part, joined. Null when the clip is not joined FLEURS clips or
 * a part has no reference in `lang`.
 */
export function alignToReferences(
  file: string,
  lang: string,
  translations: ReadonlyArray<{ text?: string; mediaStartMs: number; mediaEndMs: number }>,
): Array<{ file: string; hypothesis: string; reference: string }> | null {
  const parts = joinedParts(file);
  if (!parts) return null;
  const refs = speechTranslations();
  const out: Array<{ file: string; hypothesis: string; reference: string }> = [];
  for (let i = 0; i < parts.length; i++) {
    const reference = refs.get(parts[i]!.file)?.get(lang);
    if (reference === undefined) return null;
    const from = i === 0 ? Number.NEGATIVE_INFINITY : (parts[i - 1]!.endMs + parts[i]!.startMs) / 2;
    const to =
      i === parts.length - 1 ? Number.POSITIVE_INFINITY : (parts[i]!.endMs + parts[i + 1]!.startMs) / 2;
    const hypothesis = translations
      .filter((t) => {
        const mid = (t.mediaStartMs + t.mediaEndMs) / 2;
        return mid >= from && mid < to;
      })
      .map((t) => t.text?.trim() ?? '')
      .filter(Boolean)
      .join(' ');
    out.push({ file: parts[i]!.file, hypothesis, reference });
  }
  return out;
}
