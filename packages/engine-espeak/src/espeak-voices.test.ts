import { describe, expect, it } from 'vitest';
import { parseEspeakVoices, voicesByLanguage } from './espeak-voices.ts';

// Abridged `espeak-ng --voices` output of espeak-ng 1.51.
const LISTING = `Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  ca              --/M      Catalan            roa/ca
 5  cmn             --/M      Chinese_(Mandarin,_latin_as_English) sit/cmn              (zh-cmn 5)(zh 5)
 5  yue             --/M      Chinese_(Cantonese) sit/yue              (zh-yue 5)(zh 8)
 5  en-029          --/M      English_(Caribbean) gmw/en-029           (en 10)
 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)
 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)
 5  es-419          --/M      Spanish_(Latin_America) roa/es-419           (es-mx 6)(es 6)
 5  es              --/M      Spanish_(Spain)    roa/es
 5  fr-be           --/M      French_(Belgium)   roa/fr-BE            (fr 8)
 5  fr-fr           --/M      French_(France)    roa/fr               (fr 5)
 5  haw             --/M      Hawaiian           map/haw
`;

describe('espeak-ng voice selection', () => {
  const byLanguage = voicesByLanguage(parseEspeakVoices(LISTING));

  it('maps ISO 639-1 codes to the voice espeak-ng itself ranks first', () => {
    expect(byLanguage.get('en')).toBe('en-gb');
    expect(byLanguage.get('fr')).toBe('fr-fr');
    expect(byLanguage.get('zh')).toBe('cmn');
    expect(byLanguage.get('es')).toBe('es');
    expect(byLanguage.get('ca')).toBe('ca');
  });

  it('keeps only two-letter language codes', () => {
    expect([...byLanguage.keys()].sort()).toEqual(['ca', 'en', 'es', 'fr', 'zh']);
  });
});
