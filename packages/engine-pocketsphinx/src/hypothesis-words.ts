/**
 * pocketsphinx marks non-speech with filler tokens (`<s>`, `</s>`, `<sil>`, `[NOISE]`, `++UM++`)
 * and alternate pronunciations with a suffix (`the(2)`). Neither may reach a caption.
 */

const FILLER = /^(<.*>|\[.*\]|\+\+.*\+\+)$/;
const PRONUNCIATION_VARIANT = /\(\d+\)$/;

/** The dictionary word a decoder token stands for, or null for a filler. */
export function spokenWord(token: string): string | null {
  if (FILLER.test(token)) return null;
  const word = token.replace(PRONUNCIATION_VARIANT, '');
  return word === '' ? null : word;
}

/** A hypothesis string as caption text: fillers dropped, variants folded, single spaces. */
export function hypothesisText(hypothesis: string | null): string {
  if (!hypothesis) return '';
  return hypothesis
    .split(/\s+/)
    .map(spokenWord)
    .filter((w): w is string => w !== null)
    .join(' ');
}
