import { describe, expect, it } from 'vitest';
import type { AsrEvent, AsrWord } from '../../engines/asr.ts';
import { type StabiliserOptions, UtteranceStabiliser } from './stabiliser.ts';

const OPTIONS: StabiliserOptions = {
  agreement: 2,
  maxUnconfirmedMs: 1200,
  pauseMs: 200,
  maxChunkWords: 6,
  minChunkWords: 3,
  language: 'en',
};

/** "w1 w2 …" with each word 300 ms long and back to back, unless a time is given as "word@start-end". */
function hyp(text: string, heardMs?: number): AsrEvent {
  let at = 0;
  const words: AsrWord[] = text
    .split(' ')
    .filter(Boolean)
    .map((token) => {
      const [word, span] = token.split('@') as [string, string | undefined];
      if (span) {
        const [s, e] = span.split('-').map(Number) as [number, number];
        at = e;
        return { word, startMs: s, endMs: e };
      }
      const w = { word, startMs: at, endMs: at + 300 };
      at += 300;
      return w;
    });
  return {
    type: 'interim',
    text: words.map((w) => w.word).join(' '),
    words,
    startMs: 0,
    endMs: heardMs ?? at,
  };
}

const words = (ws: readonly AsrWord[]) => ws.map((w) => w.word).join(' ');

describe('UtteranceStabiliser', () => {
  it('shows a word only once two consecutive hypotheses agree on it and everything before it', () => {
    const s = new UtteranceStabiliser(OPTIONS);
    expect(words(s.update(hyp('the')).pending)).toBe('');
    expect(words(s.update(hyp('a cat')).pending)).toBe('');
    // "a" agreed; "cat" was revised to "cap"
    expect(words(s.update(hyp('a cap sat')).pending)).toBe('a');
    expect(words(s.update(hyp('a cap sat on')).pending)).toBe('a cap sat');
  });

  it('keeps an agreed word shown when a later hypothesis revises it (the draft only grows)', () => {
    const s = new UtteranceStabiliser(OPTIONS);
    s.update(hyp('any one'));
    expect(words(s.update(hyp('any one of')).pending)).toBe('any one');
    // The recogniser changes its mind about "one"; the draft keeps it and goes on after it in time.
    expect(words(s.update(hyp('any won of the')).pending)).toBe('any one of');
    expect(words(s.update(hyp('any won of the art')).pending)).toBe('any one of the');
  });

  it('shows a word the recogniser keeps revising once it is 1.2 s old, and the words after it', () => {
    const s = new UtteranceStabiliser(OPTIONS);
    // "cat"/"cap"/"cad" flips at every hypothesis: agreement alone would never get past "the".
    s.update(hyp('the cat sat on', 1300));
    s.update(hyp('the cap sat on the', 1500));
    expect(words(s.update(hyp('the cad sat on the mat', 1700)).pending)).toBe('the');
    // 2.4 s heard: everything that ended by 1.2 s is shown as the newest hypothesis says it.
    expect(words(s.update(hyp('the cat sat on the mat', 2400)).pending)).toBe('the cat sat on');
  });

  it('reports whether the draft changed, so unchanged drafts are not re-sent', () => {
    const s = new UtteranceStabiliser(OPTIONS);
    s.update(hyp('we went'));
    const first = s.update(hyp('we went'));
    expect(first.pendingChanged).toBe(true);
    const again = s.update(hyp('we went'));
    expect(again.pendingChanged).toBe(false);
  });

  it('commits the stable words at a pause of 200 ms, and not at a shorter one', () => {
    const s = new UtteranceStabiliser(OPTIONS);
    // 150 ms gap after "garden": not a pause.
    s.update(hyp('we walked into@600-900 garden@900-1200 then@1350-1600'));
    const short = s.update(hyp('we walked into@600-900 garden@900-1200 then@1350-1600 we@1600-1800'));
    expect(short.committed).toEqual([]);
    const t = new UtteranceStabiliser(OPTIONS);
    t.update(hyp('we walked in@600-900 the@900-1000 garden@1000-1300', 1400));
    // 250 ms of silence heard after "garden": it ends a chunk.
    const u = t.update(hyp('we walked in@600-900 the@900-1000 garden@1000-1300', 1550));
    expect(words(u.committed)).toBe('we walked in the garden');
    expect(words(u.pending)).toBe('');
  });

  it('commits every word the draft shows, never only part of it (that would be flicker)', () => {
    const s = new UtteranceStabiliser(OPTIONS);
    // A pause after "garden", then two more agreed words before the recogniser hears the pause.
    s.update(hyp('we walked in@600-900 the@900-1000 garden@1000-1300 and@1600-1800 then@1800-2000'));
    const u = s.update(
      hyp('we walked in@600-900 the@900-1000 garden@1000-1300 and@1600-1800 then@1800-2000 we@2000-2200'),
    );
    expect(words(u.committed)).toBe('we walked in the garden and then');
    expect(u.pending).toEqual([]);
  });

  it('commits the last one or two words of a sentence once the speaker has stopped for twice the pause', () => {
    const s = new UtteranceStabiliser(OPTIONS);
    s.update(hyp('thank you', 700));
    // 100 ms after "you": too short a chunk to commit on a 200 ms pause…
    expect(s.update(hyp('thank you', 800)).committed).toEqual([]);
    expect(s.update(hyp('thank you', 900)).committed).toEqual([]);
    // …but 400 ms of silence ends it.
    expect(words(s.update(hyp('thank you', 1000)).committed)).toBe('thank you');
  });

  it('does not end a chunk on a word that needs what follows ("of", "the")', () => {
    const s = new UtteranceStabiliser(OPTIONS);
    s.update(hyp('the history of@600-900', 1200));
    const u = s.update(hyp('the history of@600-900', 1400));
    expect(u.committed).toEqual([]);
    expect(words(u.pending)).toBe('the history of');
  });

  it('commits clause-sized chunks for a speaker who never pauses', () => {
    const s = new UtteranceStabiliser(OPTIONS);
    const all = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen'.split(' ');
    const commits: string[] = [];
    for (let n = 1; n <= all.length; n++) {
      const u = s.update(hyp(all.slice(0, n).join(' ')));
      if (u.committed.length) commits.push(words(u.committed));
    }
    expect(commits).toEqual(['one two three four five six', 'seven eight nine ten eleven twelve']);
    // Everything committed plus what the final adds reads the utterance once, in order.
    const rest = s.finish({ ...hyp(all.join(' ')), type: 'final' });
    expect([...s.committed, ...rest].map((w) => w.word)).toEqual(all);
  });

  it('keeps repeated words: "very very" is not collapsed or misaligned', () => {
    const s = new UtteranceStabiliser(OPTIONS);
    s.update(hyp('it is very very@900-1200 good@1200-1500', 1800));
    const u = s.update(hyp('it is very very@900-1200 good@1200-1500', 1800));
    expect(words(u.committed)).toBe('it is very very good');
    const rest = s.finish({ ...hyp('it is very very good and@2000-2300 fast@2300-2600'), type: 'final' });
    expect(words(rest)).toBe('and fast');
  });

  it('never retracts or repeats committed words when a later hypothesis revises their audio', () => {
    const s = new UtteranceStabiliser(OPTIONS);
    s.update(hyp('the quick brown@600-900 fox@900-1200', 1500));
    expect(words(s.update(hyp('the quick brown@600-900 fox@900-1200', 1500)).committed)).toBe(
      'the quick brown fox',
    );
    // The recogniser now hears "a quick brown box" for the same audio, then new words.
    s.update(hyp('a quick brown@600-900 box@900-1200 jumps@1500-1800 over@1800-2000 it@2000-2200'));
    const u = s.update(hyp('a quick brown@600-900 box@900-1200 jumps@1500-1800 over@1800-2000 it@2000-2200'));
    expect(words(u.pending)).toBe('jumps over it');
    const rest = s.finish({
      ...hyp('a quick brown@600-900 box@900-1200 jumps@1500-1800 over@1800-2000 it@2000-2200'),
      type: 'final',
    });
    expect(words(rest)).toBe('jumps over it');
  });

  it('with a single required agreement shows every word at once (agreement = 1)', () => {
    const s = new UtteranceStabiliser({ ...OPTIONS, agreement: 1 });
    expect(words(s.update(hyp('hello there')).pending)).toBe('hello there');
  });

  it('aligns hypotheses without word times by word count', () => {
    const s = new UtteranceStabiliser(OPTIONS);
    const plain = (text: string, endMs: number): AsrEvent => ({ type: 'interim', text, startMs: 0, endMs });
    s.update(plain('one two three four five six seven eight', 2400));
    const u = s.update(plain('one two three four five six seven eight', 2700));
    expect(words(u.committed)).toBe('one two three four five six seven eight');
    const rest = s.finish({
      type: 'final',
      text: 'one two three four five six seven eight nine',
      startMs: 0,
      endMs: 3000,
    });
    expect(words(rest)).toBe('nine');
  });
});
