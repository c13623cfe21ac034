/**
 * Accuracy of the configured engines on the development data: WER per spoken language (every
 * clip the recogniser's languages cover; long-en-02 is skipped, it repeats fleurs-en-01..05),
 * chrF per language pair on FLORES, and speech→translation chrF on the FLEURS clips (recognised,
 * then translated, against the FLORES sentence in the target language).
 * Normalisation: see wordErrorRate/chrF in packages/core/src/text/scoring.ts and docs/benchmarks.md.
 */
import { chrF, type EngineSet, readWavFile, supportsPair, wordErrorRate } from '@babelcast/core';
import { floresSentences, speechClip, speechManifest, speechTranslations } from '@babelcast/core/testing';
import { transcribeSamples, withConfiguredEngines } from '@babelcast/cli/replay';
import type { BabelcastConfig } from '@babelcast/server';

export interface AccuracyOptions {
  engines: { preset: 'embedded' | 'fake' } & Partial<Record<'vad' | 'asr' | 'mt' | 'tts' | 'codec', string>>;
  floresSentences: number;
  /** Max clips per language (all when undefined). */
  clipsPerLanguage?: number;
  targets: string[];
  log: (line: string) => void;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

type Manifest = ReturnType<typeof speechManifest>;

export async function runAccuracy(options: AccuracyOptions) {
  return withConfiguredEngines(
    { preset: options.engines.preset, names: options.engines },
    ['vad', 'asr', 'mt'],
    async (engines, config) => {
      const manifest = speechManifest().filter((r) => r.file !== 'long-en-02.wav');
      const recognised = await recognitionErrors(engines, config, manifest, options);
      const text = await textChrF(engines, options);
      const speech = await speechChrF(engines, manifest, recognised, options);
      return {
        engines: { vad: engines.vad.info.id, asr: engines.asr.info.id, mt: engines.mt.info.id },
        werPct: recognised.wer,
        skippedLanguages: recognised.skippedLanguages,
        textChrF: text,
        speechChrF: speech,
      };
    },
  );
}

/** WER per spoken language the recogniser covers, and what it heard in each clip. */
async function recognitionErrors(
  engines: EngineSet,
  config: BabelcastConfig,
  manifest: Manifest,
  options: AccuracyOptions,
) {
  const wer: Record<string, { wer: number; words: number; clips: number }> = {};
  const hypotheses = new Map<string, string>();
  const skippedLanguages: string[] = [];
  for (const lang of [...new Set(manifest.map((r) => r.lang))]) {
    if (!engines.asr.capabilities.languages.includes(lang)) {
      skippedLanguages.push(lang);
      continue;
    }
    const rows = manifest.filter((r) => r.lang === lang).slice(0, options.clipsPerLanguage);
    const pairs = [];
    for (const row of rows) {
      const t = await transcribeSamples(
        engines,
        readWavFile(speechClip(row.file)).samples,
        lang,
        config.pipeline,
      );
      const hypothesis = t.segments.map((s) => s.raw).join(' ');
      hypotheses.set(row.file, t.segments.map((s) => s.text).join(' '));
      pairs.push({ hypothesis, reference: row.reference });
    }
    const w = wordErrorRate(pairs);
    wer[lang] = { wer: round1(w.wer * 100), words: w.words, clips: rows.length };
    options.log(`accuracy: WER ${lang} ${wer[lang]!.wer} % over ${w.words} words (${engines.asr.info.id})`);
  }
  return { wer, hypotheses, skippedLanguages };
}

/** chrF per language pair from English on the FLORES sentences. */
async function textChrF(engines: EngineSet, options: AccuracyOptions) {
  const text: Record<string, { chrF: number; sentences: number }> = {};
  const sources = ['en', ...options.targets.filter((t) => t !== 'en')];
  for (const from of ['en']) {
    const src = floresSentences(from).slice(0, options.floresSentences);
    for (const to of sources.filter((t) => t !== from)) {
      if (!supportsPair(engines.mt.capabilities, from, to)) continue;
      const refs = floresSentences(to).slice(0, options.floresSentences);
      const pairs = [];
      for (let i = 0; i < src.length; i++)
        pairs.push({
          hypothesis: await engines.mt.translate({ text: src[i]!, from, to }),
          reference: refs[i]!,
        });
      text[`${from}-${to}`] = { chrF: round1(chrF(pairs)), sentences: src.length };
      options.log(`accuracy: chrF ${from}→${to} ${text[`${from}-${to}`]!.chrF} (${engines.mt.info.id})`);
    }
  }
  return text;
}

/** Speech→translation chrF: each FLEURS clip as recognised, translated, against its reference. */
async function speechChrF(
  engines: EngineSet,
  manifest: Manifest,
  recognised: Awaited<ReturnType<typeof recognitionErrors>>,
  options: AccuracyOptions,
) {
  const speech: Record<string, { chrF: number; clips: number }> = {};
  const refs = speechTranslations();
  for (const from of Object.keys(recognised.wer)) {
    for (const to of options.targets) {
      if (to === from || !supportsPair(engines.mt.capabilities, from, to)) continue;
      const pairs = [];
      for (const row of manifest.filter((r) => r.file.startsWith('fleurs-') && r.lang === from)) {
        const hyp = recognised.hypotheses.get(row.file);
        const ref = refs.get(row.file)?.get(to);
        if (hyp === undefined || ref === undefined) continue;
        pairs.push({
          hypothesis: hyp ? await engines.mt.translate({ text: hyp, from, to }) : '',
          reference: ref,
        });
      }
      if (pairs.length === 0) continue;
      speech[`${from}-${to}`] = { chrF: round1(chrF(pairs)), clips: pairs.length };
      options.log(
        `accuracy: speech→text chrF ${from}→${to} ${speech[`${from}-${to}`]!.chrF} over ${pairs.length} clips`,
      );
    }
  }
  return speech;
}
