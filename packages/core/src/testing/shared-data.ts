/**
 * Locates the development data set (`../shared/data`: real speech clips, reference transcripts and
 * translations). It is never copied into the repository. Tests that need it fail with this message
 * rather than silently skipping, so a missing data set cannot pass for a green run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

export function sharedDataDir(): string {
  const candidates = [
    process.env.BABELCAST_SHARED_DATA,
    join(repoRoot, '../shared/data'),
    '/work/shared/data',
  ];
  for (const c of candidates) if (c && existsSync(join(c, 'speech/manifest.tsv'))) return c;
  throw new Error(
    `development data not found (tried ${candidates.filter(Boolean).join(', ')}); set BABELCAST_SHARED_DATA`,
  );
}

export function speechClip(name: string): string {
  return join(sharedDataDir(), 'speech', name);
}

export interface ManifestRow {
  file: string;
  lang: string;
  durationS: number;
  reference: string;
  referenceRaw: string;
}

export function speechManifest(): ManifestRow[] {
  const lines = readFileSync(join(sharedDataDir(), 'speech/manifest.tsv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split('\t');
  const col = (name: string) => header.indexOf(name);
  return lines.slice(1).map((line) => {
    const f = line.split('\t');
    return {
      file: f[col('file')]!,
      lang: f[col('lang')]!,
      durationS: Number(f[col('duration_s')]),
      reference: f[col('reference')]!,
      referenceRaw: f[col('reference_raw')] ?? f[col('reference')]!,
    };
  });
}

/** Reference translations of the FLEURS clips: file → target language → sentence. */
export function speechTranslations(): Map<string, Map<string, string>> {
  const lines = readFileSync(join(sharedDataDir(), 'speech/translations.tsv'), 'utf8').trim().split('\n');
  const out = new Map<string, Map<string, string>>();
  for (const line of lines.slice(1)) {
    const [file, , tgt, ref] = line.split('\t');
    if (!file || !tgt || ref === undefined) continue;
    if (!out.has(file)) out.set(file, new Map());
    out.get(file)!.set(tgt, ref);
  }
  return out;
}

/** The 200 aligned FLORES sentences of one language. */
export function floresSentences(lang: string): string[] {
  return readFileSync(join(sharedDataDir(), `text/flores-dev.${lang}.txt`), 'utf8')
    .trimEnd()
    .split('\n');
}
