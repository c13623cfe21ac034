/** What the configured engines can serve: feeds `GET /api/languages` and the listener's pair check. */
import type { LanguagePairInfo } from '@babelcast/protocol';
import type { EngineSet } from '../engines/index.ts';

export interface ServedPairs {
  sources: string[];
  pairs: LanguagePairInfo[];
}

export function servedPairs(engines: EngineSet): ServedPairs {
  const sources = [...engines.asr.capabilities.languages].sort();
  const voices = new Set(engines.tts.capabilities.languages);
  const pairs: LanguagePairInfo[] = [];
  for (const source of sources) {
    // Captions in the spoken language need no translation (and no voice: listeners hear the speaker).
    pairs.push({ source, target: source, voice: false, via: `${engines.asr.info.id} (no translation)` });
    for (const p of engines.mt.capabilities.pairs) {
      if (p.from !== source || p.to === source) continue;
      const chain = [p.from, ...p.via, p.to].join('→');
      pairs.push({
        source,
        target: p.to,
        voice: voices.has(p.to),
        via: `${engines.mt.info.id}:${chain}${p.via.length ? ' (pivot)' : ''}`,
      });
    }
  }
  return { sources, pairs };
}

export function targetsFor(served: ServedPairs, source: string): string[] {
  return served.pairs.filter((p) => p.source === source).map((p) => p.target);
}
