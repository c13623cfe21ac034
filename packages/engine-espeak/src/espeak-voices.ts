/**
 * Picks one espeak-ng voice per ISO 639-1 language from `espeak-ng --voices`. espeak-ng lists, per
 * voice, its own language code and extra "(code priority)" pairs; the lowest priority wins, the
 * same rule espeak-ng applies itself (so "en" → en-gb, "fr" → fr-fr, "zh" → cmn).
 */
export interface EspeakVoice {
  /** What to pass to `-v`, e.g. "en-gb", "cmn". */
  name: string;
  /** The language codes this voice answers to, with espeak-ng's priority (lower is better). */
  languages: { code: string; priority: number }[];
}

/** The voice's own language code ranks above any alias. */
const OWN_CODE_PRIORITY = 0;

export function parseEspeakVoices(listing: string): EspeakVoice[] {
  const voices: EspeakVoice[] = [];
  for (const line of listing.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const name = cols[1];
    if (!name) continue;
    const languages = [{ code: name.toLowerCase(), priority: OWN_CODE_PRIORITY }];
    for (const m of line.matchAll(/\(([a-z0-9-]+) (\d+)\)/gi))
      languages.push({ code: m[1]!.toLowerCase(), priority: Number(m[2]) });
    voices.push({ name, languages });
  }
  return voices;
}

/** ISO 639-1 code → voice name. Only two-letter codes are kept: that is what the pipeline speaks. */
export function voicesByLanguage(voices: EspeakVoice[]): Map<string, string> {
  const best = new Map<string, { name: string; priority: number }>();
  for (const voice of voices) {
    for (const { code, priority } of voice.languages) {
      if (!/^[a-z]{2}$/.test(code)) continue;
      const current = best.get(code);
      if (!current || priority < current.priority) best.set(code, { name: voice.name, priority });
    }
  }
  return new Map([...best].map(([code, v]) => [code, v.name]));
}
