/**
 * From one recognised utterance to timed sentences. Engines that output lowercase, unpunctuated
 * text (pocketsphinx) are made readable first; a long utterance may hold several sentences, each
 * becoming its own segment so translation and voice can start on the first one early.
 */
import { makeReadable, splitSentences } from '../text/readable-text.ts';

export interface TimedSentence {
  text: string;
  startMs: number;
  endMs: number;
}

export function toSentences(
  raw: string,
  language: string,
  punctuated: boolean,
  startMs: number,
  endMs: number,
): TimedSentence[] {
  const text = raw.trim();
  if (!text) return [];
  const parts = punctuated ? splitSentences(text) : [makeReadable(text, language)];
  const clean = parts.map((p) => p.trim()).filter(Boolean);
  // Without word times, apportion the utterance's span by character count.
  const total = clean.reduce((n, p) => n + p.length, 0);
  let at = startMs;
  return clean.map((p) => {
    const span = ((endMs - startMs) * p.length) / total;
    const s = { text: p, startMs: Math.round(at), endMs: Math.round(at + span) };
    at += span;
    return s;
  });
}

/**
 * The text of a committed chunk or a draft: part of a sentence. Unpunctuated recogniser output is
 * cased like `makeReadable` where the chunk opens the sentence and gets a full stop only where it
 * ends it, so the chunks of a segment joined with spaces read as the whole sentence.
 */
const PLACEHOLDER = 'x';

export function chunkText(
  words: string[],
  language: string,
  punctuated: boolean,
  place: { opensSentence: boolean; endsSentence: boolean },
): string {
  const raw = words.join(' ').replace(/\s+/gu, ' ').trim();
  if (!raw || punctuated) return raw;
  // Mid-sentence, a placeholder word takes the sentence-initial capital so that only the words'
  // own casing rules apply ("i think" → "I think", "we think" stays lowercase).
  const readable = place.opensSentence
    ? makeReadable(raw, language)
    : makeReadable(`${PLACEHOLDER} ${raw}`, language).slice(PLACEHOLDER.length + 1);
  return place.endsSentence ? readable : readable.replace(/[.。]$/u, '');
}
