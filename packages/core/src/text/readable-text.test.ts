import { describe, expect, it } from 'vitest';
import { makeReadable, splitSentences } from './readable-text.ts';

describe('makeReadable', () => {
  it('capitalises, collapses spaces and adds a full stop', () => {
    expect(makeReadable('  the house   is big ', 'en')).toBe('The house is big.');
  });

  it('writes the English pronoun I and its contractions in capitals', () => {
    expect(makeReadable("i think i'm late but i've called and i'll go i'd say", 'en')).toBe(
      "I think I'm late but I've called and I'll go I'd say.",
    );
  });

  it('leaves words that merely contain i alone', () => {
    expect(makeReadable('it is in italy', 'en')).toBe('It is in italy.');
    expect(makeReadable("it's ice", 'en')).toBe("It's ice.");
  });

  it('does not apply English rules to other languages', () => {
    expect(makeReadable('i tre amici', 'it')).toBe('I tre amici.');
    expect(makeReadable('la casa y i', 'es')).toBe('La casa y i.');
  });

  it('keeps existing terminal punctuation', () => {
    expect(makeReadable('where are you?', 'en')).toBe('Where are you?');
    expect(makeReadable('he said "stop."', 'en')).toBe('He said "stop."');
  });

  it('capitalises a first letter after opening quotes but not a word after a number', () => {
    expect(makeReadable('"über alles" sagte er', 'de')).toBe('"Über alles" sagte er.');
    expect(makeReadable('3 dogs', 'en')).toBe('3 dogs.');
  });

  it('uses a full-width stop for Chinese and Japanese', () => {
    expect(makeReadable('你好 世界', 'zh')).toBe('你好 世界。');
  });

  it('returns empty text for silence', () => {
    expect(makeReadable('   ', 'en')).toBe('');
  });
});

describe('splitSentences', () => {
  it('splits on sentence-final marks before a capital', () => {
    expect(splitSentences('It rained. We stayed in! Did you? Yes… Fine')).toEqual([
      'It rained.',
      'We stayed in!',
      'Did you?',
      'Yes…',
      'Fine',
    ]);
  });

  it('does not split titles, e.g., initials or decimals', () => {
    expect(
      splitSentences('Mr. Smith met Dr. Jones at 3.5 km, e.g. Paris. J. R. Tolkien wrote it. The end.'),
    ).toEqual(['Mr. Smith met Dr. Jones at 3.5 km, e.g. Paris.', 'J. R. Tolkien wrote it.', 'The end.']);
  });

  it('does not split before a lowercase word', () => {
    expect(splitSentences('The value is approx. ten and the rest… follows.')).toEqual([
      'The value is approx. ten and the rest… follows.',
    ]);
  });

  it('keeps closing quotes with their sentence and accepts opening marks', () => {
    expect(splitSentences('He said "go." ¿Vienes? «Oui.» Done.')).toEqual([
      'He said "go."',
      '¿Vienes?',
      '«Oui.»',
      'Done.',
    ]);
  });

  it('splits on full-width marks without spaces', () => {
    expect(splitSentences('今天下雨。我们在家！好吗？')).toEqual(['今天下雨。', '我们在家！', '好吗？']);
  });

  it('returns nothing for blank text and the whole text when unpunctuated', () => {
    expect(splitSentences('  ')).toEqual([]);
    expect(splitSentences('no punctuation here')).toEqual(['no punctuation here']);
  });
});
