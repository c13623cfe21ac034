/**
 * Decides, while someone is still speaking, which recognised words may be shown and which may be
 * committed (translated and voiced for good). Recognisers revise their guess as they hear more, so
 * showing every interim hypothesis would make captions flicker.
 *
 * - **Stable words (local agreement).** A word is shown only once the last `agreement` interim
 *   hypotheses agree on it and on every word before it (LocalAgreement-n, as in Whisper-Streaming).
 * - **Commits.** All the stable words are committed as a chunk when a boundary is plausible: a
 *   pause of `pauseMs` after a stable word, or a clause-sized run of stable words
 *   (`maxChunkWords`). Never only part of them: the draft shows them all, and a commit that
 *   dropped some would take them off the listener's screen until the next draft.
 *   A chunk does not end on a word that needs what follows it ("of", "the", "and"…), where the
 *   source language has such a list: translating "the history of" alone reads badly.
 * - **Committed words are final.** Later hypotheses are aligned to the committed part by time:
 *   only words that start after the last committed word count, so a revision of committed audio
 *   can neither retract it nor duplicate it.
 *
 * Pure and synchronous: fed with events, it returns what to do; tests script hypothesis sequences.
 */
import type { AsrEvent, AsrFinal, AsrWord } from '../../engines/asr.ts';
import { endsBadly } from './chunk-boundaries.ts';

export interface StabiliserOptions {
  /** Consecutive hypotheses that must agree on a word before it counts as stable (≥ 1). */
  agreement: number;
  /** Silence after a stable word that ends a chunk, ms. */
  pauseMs: number;
  /** A word heard this long ago is shown even without agreement (ms). */
  maxUnconfirmedMs: number;
  /** Stable words waiting that make a chunk without a pause. */
  maxChunkWords: number;
  /** Fewest words a chunk may have before the utterance ends (short chunks translate badly). */
  minChunkWords: number;
  /** Source language, for the words a chunk must not end on. */
  language: string;
}

export interface StabiliserUpdate {
  /** Words committed by this event, in order (empty when nothing was committed). */
  committed: AsrWord[];
  /** Stable words after everything committed so far: what a draft shows. */
  pending: AsrWord[];
  /** True when `pending` differs from what the previous update returned. */
  pendingChanged: boolean;
}

const normalise = (w: string) => w.toLowerCase().replace(/[^\p{L}\p{N}']/gu, '');

export class UtteranceStabiliser {
  /** The last `agreement` hypotheses, whole. */
  private recent: AsrWord[][] = [];
  private readonly committedWords: AsrWord[] = [];
  /**
   * Words agreed on but not committed yet. Sticky: once agreed, a word stays shown even if a later
   * hypothesis revises it (it is committed as shown), so the draft only ever grows at its end and
   * loses words from its start when they are committed. That is what keeps flicker low.
   */
  private readonly confirmed: AsrWord[] = [];
  private lastPending = '';

  constructor(private readonly options: StabiliserOptions) {}

  get committed(): readonly AsrWord[] {
    return this.committedWords;
  }

  /** Feed one interim hypothesis. Hypotheses without word times are aligned by word count. */
  update(event: AsrEvent): StabiliserUpdate {
    this.recent.push(event.words ?? wordsWithoutTimes(event));
    if (this.recent.length > this.options.agreement) this.recent.shift();
    const timed = event.words !== undefined;
    if (this.recent.length >= this.options.agreement) {
      const shown = [...this.committedWords, ...this.confirmed];
      this.confirmed.push(...agreedPrefix(this.recent.map((h) => after(h, shown, timed))));
    }
    // Bounded wait: a word the recogniser keeps revising would hold back every word after it.
    // Words that ended more than maxUnconfirmedMs before what has been heard are taken as the
    // newest hypothesis says them.
    if (timed) {
      const shown = [...this.committedWords, ...this.confirmed];
      const overdue = after(this.recent.at(-1)!, shown, true).filter(
        (w) => w.endMs <= event.endMs - this.options.maxUnconfirmedMs,
      );
      this.confirmed.push(...overdue);
    }
    const shown = [...this.committedWords, ...this.confirmed];
    const following = after(this.recent.at(-1)!, shown, timed)[0];
    const cut = this.commitPoint(following, event.endMs);
    const committed = this.confirmed.splice(0, cut);
    this.committedWords.push(...committed);
    const pending = [...this.confirmed];
    const key = pending.map((w) => w.word).join(' ');
    const pendingChanged = key !== this.lastPending;
    this.lastPending = key;
    return { committed, pending, pendingChanged };
  }

  /**
   * The utterance ended: the final result's words that were not committed yet. The final result
   * is trusted over the agreed-but-uncommitted words (it is the recogniser's best, whole answer).
   */
  finish(final: AsrFinal): AsrWord[] {
    const rest = after(
      final.words ?? wordsWithoutTimes(final),
      this.committedWords,
      final.words !== undefined,
    );
    this.recent = [];
    this.confirmed.length = 0;
    this.lastPending = '';
    return rest;
  }

  /**
   * How many of the confirmed words to commit now: all of them or none. A commit that covered
   * fewer words than the draft on screen would take the rest off the listener's line until the
   * next draft (that is flicker), so a commit waits for a boundary after the last shown word.
   */
  private commitPoint(following: AsrWord | undefined, heardMs: number): number {
    const { pauseMs, maxChunkWords, minChunkWords, language } = this.options;
    const words = this.confirmed;
    if (words.length === 0) return 0;
    const last = words.at(-1)!;
    // A chunk ending on "of", "the", "and"… waits for its complement, up to twice the clause size.
    if (endsBadly(last.word, language)) return words.length >= 2 * maxChunkWords ? words.length : 0;
    // A pause after the last confirmed word (the next word's start, or the end of what the
    // recogniser has heard when nothing follows yet), or one inside the confirmed words.
    const gapAfter = (i: number) => {
      const next = words[i + 1] ?? (i === words.length - 1 ? following : undefined);
      return (next ? next.startMs : heardMs) - words[i]!.endMs;
    };
    // The last words of a sentence: after twice the pause the speaker has clearly stopped, and
    // waiting for the endpointer and the final result would only delay their voice.
    if (words.length < minChunkWords) return gapAfter(words.length - 1) >= 2 * pauseMs ? words.length : 0;
    for (let i = words.length - 1; i >= 0; i--) if (gapAfter(i) >= pauseMs) return words.length;
    // Clause-sized: enough confirmed words are waiting.
    return words.length >= maxChunkWords ? words.length : 0;
  }
}

/**
 * The words of a hypothesis that come after the words already shown: by time when the engine
 * gives word times (a word belongs to the new part when most of it lies after the shown audio), by
 * count otherwise.
 */
function after(words: AsrWord[], shown: readonly AsrWord[], timed: boolean): AsrWord[] {
  if (shown.length === 0) return words;
  if (!timed) return words.slice(shown.length);
  const endMs = shown.at(-1)!.endMs;
  return words.filter((w) => (w.startMs + w.endMs) / 2 >= endMs);
}

/** The longest prefix on which every hypothesis agrees, with the newest hypothesis's times. */
function agreedPrefix(hypotheses: AsrWord[][]): AsrWord[] {
  const newest = hypotheses.at(-1)!;
  let n = 0;
  for (; n < newest.length; n++) {
    const word = normalise(newest[n]!.word);
    if (!hypotheses.every((h) => h[n] !== undefined && normalise(h[n]!.word) === word)) break;
  }
  return newest.slice(0, n);
}

/**
 * Engines without word times: spread the words evenly over the span heard. Good enough to carry
 * text; pause commits then never fire (the gaps are all equal), only size commits and the end.
 */
function wordsWithoutTimes(event: AsrEvent): AsrWord[] {
  const tokens = event.text.split(/\s+/).filter(Boolean);
  const span = Math.max(1, event.endMs - event.startMs);
  return tokens.map((word, i) => ({
    word,
    startMs: event.startMs + (span * i) / tokens.length,
    endMs: event.startMs + (span * (i + 1)) / tokens.length,
  }));
}
