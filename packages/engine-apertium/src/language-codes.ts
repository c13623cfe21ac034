/**
 * Apertium names languages with ISO 639-3 codes ("eng", "spa"), sometimes ISO 639-1 ("es-pt.mode")
 * and sometimes with a variant suffix ("cat_valencia", "por_BR"). Babelcast speaks ISO 639-1.
 */
const ISO639_3_TO_1: Record<string, string> = {
  afr: 'af',
  ara: 'ar',
  arg: 'an',
  aze: 'az',
  bel: 'be',
  ben: 'bn',
  bos: 'bs',
  bre: 'br',
  bul: 'bg',
  cat: 'ca',
  ces: 'cs',
  cym: 'cy',
  dan: 'da',
  deu: 'de',
  ell: 'el',
  eng: 'en',
  epo: 'eo',
  est: 'et',
  eus: 'eu',
  fao: 'fo',
  fas: 'fa',
  fin: 'fi',
  fra: 'fr',
  fry: 'fy',
  gla: 'gd',
  gle: 'ga',
  glg: 'gl',
  heb: 'he',
  hin: 'hi',
  hrv: 'hr',
  hun: 'hu',
  hye: 'hy',
  ind: 'id',
  isl: 'is',
  ita: 'it',
  jpn: 'ja',
  kaz: 'kk',
  kir: 'ky',
  kor: 'ko',
  lat: 'la',
  lav: 'lv',
  lit: 'lt',
  ltz: 'lb',
  mkd: 'mk',
  mlt: 'mt',
  msa: 'ms',
  nld: 'nl',
  nno: 'nn',
  nob: 'nb',
  nor: 'no',
  oci: 'oc',
  pol: 'pl',
  por: 'pt',
  ron: 'ro',
  rus: 'ru',
  slk: 'sk',
  slv: 'sl',
  spa: 'es',
  sqi: 'sq',
  srd: 'sc',
  srp: 'sr',
  swe: 'sv',
  tat: 'tt',
  tur: 'tr',
  ukr: 'uk',
  urd: 'ur',
  uzb: 'uz',
  zho: 'zh',
};

export interface ApertiumCode {
  /** The code exactly as apy reports it, e.g. "cat_valencia". What requests must use. */
  raw: string;
  /** ISO 639-1 when one exists, else the ISO 639-3 base code ("ast"). */
  language: string;
  /** "valencia", "BR", "iec2017"…; undefined for the standard variety. */
  variant: string | undefined;
}

export function parseApertiumCode(raw: string): ApertiumCode {
  const sep = raw.indexOf('_');
  const base = (sep < 0 ? raw : raw.slice(0, sep)).toLowerCase();
  const variant = sep < 0 ? undefined : raw.slice(sep + 1);
  return { raw, language: ISO639_3_TO_1[base] ?? base, variant };
}
