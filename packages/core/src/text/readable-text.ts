/**
 * Caption clean-up for recognisers that emit lowercase, unpunctuated text (pocketsphinx, many
 * transducers), and sentence splitting for those that punctuate (Whisper). Both are pure and cheap:
 * they run on every partial and final caption.
 */

/** Scripts without letter case or word spaces end sentences with full-width marks. */
const FULL_WIDTH_STOP_LANGUAGES = new Set(['zh', 'ja']);

const TERMINAL_PUNCTUATION = /[.!?…。！？]["'”’»)\]]*$/u;

/**
 * Lowercase ASR output → a caption a reader can scan: whitespace collapsed, first letter upper-case,
 * English "i"/"i'm"/"i've"… as "I…", and a full stop when the recogniser gave none.
 */
export function makeReadable(text: string, language: string): string {
  let out = text.replace(/\s+/gu, ' ').trim();
  if (out === '') return '';
  const lang = language.toLowerCase().split(/[-_]/)[0] ?? '';
  if (lang === 'en') {
    // The pronoun alone or as the head of a contraction ("i'm", "i'd", "i'll", "i've").
    out = out.replace(/(^|[^\p{L}\p{N}'’])i(?=$|[^\p{L}\p{N}'’]|['’](?:m|d|ll|ve)\b)/gu, '$1I');
  }
  // Only a letter that opens the text (after quotes or ¿¡) is raised: "3 dogs" stays as it is.
  out = out.replace(/^([^\p{L}\p{N}]*)(\p{Ll})/u, (_, lead: string, c: string) => lead + c.toUpperCase());
  if (!TERMINAL_PUNCTUATION.test(out)) {
    out += FULL_WIDTH_STOP_LANGUAGES.has(lang) ? '。' : '.';
  }
  return out;
}

/** `text` with a sentence-final mark, added when it has none (chunks joined back into a sentence). */
export function withFullStop(text: string, language: string): string {
  const out = text.trim();
  if (out === '' || TERMINAL_PUNCTUATION.test(out)) return out;
  const lang = language.toLowerCase().split(/[-_]/)[0] ?? '';
  return out + (FULL_WIDTH_STOP_LANGUAGES.has(lang) ? '。' : '.');
}

/**
 * Words whose trailing full stop is not a sentence end even before a capital ("Dr. Smith").
 * Compared lowercase, without the final dot.
 */
const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'sr',
  'sra',
  'jr',
  'st',
  'mt',
  'vs',
  'no',
  'nr',
  'e.g',
  'i.e',
  'cf',
  'approx',
  'z.b',
]);

/** Sentence-final marks, then any closing quotes or brackets that belong to the same sentence. */
const SENTENCE_END = /[.!?…。！？]+["'”’»)\]]*/gu;

/**
 * Split already-punctuated text into sentences. A boundary is a run of . ! ? … followed by
 * whitespace and a capital (optionally after an opening quote or ¿ ¡), or the end of the text.
 * Full-width CJK marks end a sentence unconditionally. "Mr." "Dr." "e.g.", single-letter initials
 * and decimals ("3.5", no space) do not split.
 */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  let start = 0;
  for (const match of text.matchAll(SENTENCE_END)) {
    const end = match.index + match[0].length;
    if (!isBoundary(text, match.index, match[0], end)) continue;
    pushTrimmed(sentences, text.slice(start, end));
    start = end;
  }
  pushTrimmed(sentences, text.slice(start));
  return sentences;
}

function isBoundary(text: string, at: number, marks: string, end: number): boolean {
  if (/[。！？]/u.test(marks)) return true;
  const rest = text.slice(end);
  if (rest.trim() === '') return true;
  if (!/^\s+["'“‘«¿¡(]*\p{Lu}/u.test(rest)) return false;
  if (marks.startsWith('.') && !marks.startsWith('..')) {
    const word = /[\p{L}.]+$/u.exec(text.slice(0, at))?.[0] ?? '';
    if (ABBREVIATIONS.has(word.toLowerCase())) return false;
    // A lone capital before the dot is an initial ("J. Smith"), not a one-letter sentence.
    if (/^\p{Lu}$/u.test(word)) return false;
  }
  return true;
}

function pushTrimmed(out: string[], sentence: string): void {
  const trimmed = sentence.trim();
  if (trimmed !== '') out.push(trimmed);
}
