/**
 * Words a committed chunk should not end on, per source language: articles, prepositions,
 * conjunctions, possessives and auxiliaries that need the words after them. A chunk ending on
 * one ("the history of") is translated without its complement and reads badly, and rule-based MT
 * (Apertium) reorders across exactly these words. Lowercase, compared without punctuation.
 */
const DANGLING: Record<string, ReadonlySet<string>> = {
  en: new Set(
    (
      'a an the of to in on at by for from with into onto upon about as than ' +
      'and or but nor so that which who whom whose if because while when where ' +
      'my your his her its our their this these those some any no every each ' +
      'is are was were be been being am has have had do does did will would shall should ' +
      'can could may might must not very more most'
    ).split(' '),
  ),
  es: new Set(
    'el la los las un una unos unas de del a al en con por para que y o pero si su sus mi mis es son'.split(
      ' ',
    ),
  ),
  fr: new Set(
    'le la les un une des de du à au aux en avec par pour que et ou mais si son sa ses mon ma mes est sont'.split(
      ' ',
    ),
  ),
  de: new Set(
    'der die das den dem des ein eine einen einem einer und oder aber von zu mit für auf in an ist sind'.split(
      ' ',
    ),
  ),
  pt: new Set(
    'o a os as um uma de do da dos das em no na com por para que e ou mas se seu sua é são'.split(' '),
  ),
};

export function endsBadly(word: string, language: string): boolean {
  const base = language.toLowerCase().split(/[-_]/)[0] ?? '';
  const list = DANGLING[base];
  if (!list) return false;
  return list.has(word.toLowerCase().replace(/[^\p{L}\p{N}']/gu, ''));
}
