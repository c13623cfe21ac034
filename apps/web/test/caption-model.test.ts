import type { CaptionEvent, DraftEvent } from '@babelcast/protocol';
import { describe, expect, it } from 'vitest';
import { CaptionModel } from '../src/pages/shared/caption-model.ts';

let seq = 0;
const ev = (kind: CaptionEvent['kind'], segmentId: number, text: string, lang = 'en', replay?: boolean) =>
  ({
    type: 'caption',
    kind,
    seq: seq++,
    segmentId,
    lang,
    text,
    mediaStartMs: segmentId * 1000,
    mediaEndMs: segmentId * 1000 + 900,
    emittedAt: 0,
    ...(replay ? { replay } : {}),
  }) as CaptionEvent;
const draft = (segmentId: number, text: string, lang = 'es', at = seq++): DraftEvent => ({
  type: 'draft',
  lang,
  segment: segmentId,
  segmentId,
  seq: at,
  text,
  mediaStartMs: segmentId * 1000,
  mediaEndMs: segmentId * 1000 + 500,
  emittedAt: 0,
});
const parts = (m: CaptionModel, segmentId = 1) => {
  const l = m.line(segmentId)!;
  return { committed: l.committed, tail: l.tail, tailLang: l.tailLang };
};

describe('CaptionModel, one translation per segment (sentence mode)', () => {
  it('shows a partial as a draft, then replaces it by the translation', () => {
    const m = new CaptionModel('es', 'en');
    m.apply(ev('partial', 1, 'hello'));
    expect(m.lines()).toMatchObject([{ text: 'hello', draft: true, tail: 'hello', tailLang: 'en' }]);
    m.apply(ev('final', 1, 'hello world'));
    expect(m.lines()).toMatchObject([{ text: 'hello world', draft: true }]);
    expect(m.apply(ev('translation', 1, 'hola mundo', 'es'))).toEqual({
      segmentId: 1,
      committed: 'hola mundo',
    });
    expect(m.lines()).toMatchObject([
      { text: 'hola mundo', committed: 'hola mundo', tail: '', draft: false, source: 'hello world' },
    ]);
  });

  it('treats the final as committed when the listener wants the source language', () => {
    const m = new CaptionModel('en', 'en');
    expect(m.apply(ev('partial', 1, 'hello'))).toEqual({ segmentId: 1, committed: '' });
    expect(parts(m)).toEqual({ committed: '', tail: 'hello', tailLang: 'en' });
    expect(m.apply(ev('final', 1, 'hello world'))).toEqual({ segmentId: 1, committed: 'hello world' });
    expect(m.lines()).toMatchObject([{ text: 'hello world', draft: false, tail: '' }]);
  });

  it('ignores a late partial after the final and translations in other languages', () => {
    const m = new CaptionModel('es', 'en');
    m.apply(ev('final', 1, 'done'));
    expect(m.apply(ev('partial', 1, 'do'))).toBeNull();
    expect(m.apply(ev('translation', 1, 'fait', 'fr'))).toBeNull();
    expect(m.lines()[0]!.text).toBe('done');
  });

  it('applies replayed history idempotently and keeps lines in segment order', () => {
    const m = new CaptionModel('es', 'en');
    m.apply(ev('translation', 2, 'dos', 'es'));
    const uno = ev('translation', 1, 'uno', 'es', true);
    m.apply(uno);
    expect(m.apply({ ...uno })).toBeNull();
    expect(m.lines().map((l) => l.text)).toEqual(['uno', 'dos']);
    expect(m.lastSeq).toBe(seq - 1);
  });

  it('drops translations on a language switch until the new ones arrive', () => {
    const m = new CaptionModel('es', 'en');
    m.apply(ev('final', 1, 'one'));
    m.apply(ev('translation', 1, 'uno', 'es'));
    m.switchLanguage('fr');
    expect(m.lines()).toMatchObject([{ text: 'one', draft: true }]);
    m.apply(ev('translation', 1, 'un', 'fr', true));
    expect(m.lines()).toMatchObject([{ text: 'un', draft: false }]);
  });

  it('keeps a bounded history', () => {
    const m = new CaptionModel('es', 'en', 10);
    for (let i = 0; i < 25; i++) m.apply(ev('final', i, `s${i}`));
    expect(m.lines().map((l) => l.segmentId)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });
});

describe('CaptionModel, chunked translations and drafts (simultaneous mode)', () => {
  it('builds a line from committed chunks plus the newest draft after them', () => {
    const m = new CaptionModel('es', 'en');
    m.apply(ev('partial', 1, 'when we arrived'));
    expect(parts(m)).toEqual({ committed: '', tail: 'when we arrived', tailLang: 'en' });
    // A translated draft replaces the speaker's words: it is in the reader's language.
    expect(m.apply(draft(1, 'cuando llegamos'))).toEqual({ segmentId: 1, committed: '' });
    expect(parts(m)).toEqual({ committed: '', tail: 'cuando llegamos', tailLang: 'es' });
    expect(m.line(1)!.draft).toBe(true);
    m.apply(draft(1, 'cuando llegamos a la'));
    expect(parts(m).tail).toBe('cuando llegamos a la');
    // The first chunk commits and clears the draft it covered.
    expect(m.apply(ev('translation', 1, 'cuando llegamos,', 'es'))).toEqual({
      segmentId: 1,
      committed: 'cuando llegamos,',
    });
    expect(parts(m)).toEqual({ committed: 'cuando llegamos,', tail: '', tailLang: 'es' });
    expect(m.line(1)!.draft).toBe(false);
    m.apply(ev('partial', 1, 'when we arrived the station was'));
    expect(parts(m).tail).toBe('');
    m.apply(draft(1, 'la estación estaba'));
    expect(parts(m)).toEqual({ committed: 'cuando llegamos,', tail: 'la estación estaba', tailLang: 'es' });
    expect(m.line(1)!.text).toBe('cuando llegamos, la estación estaba');
    // The second chunk: only its own text is newly committed.
    expect(m.apply(ev('translation', 1, 'la estación estaba cerrada.', 'es'))).toEqual({
      segmentId: 1,
      committed: 'la estación estaba cerrada.',
    });
    m.apply(ev('final', 1, 'when we arrived, the station was closed.'));
    expect(m.lines()).toMatchObject([
      {
        committed: 'cuando llegamos, la estación estaba cerrada.',
        tail: '',
        draft: false,
        source: 'when we arrived, the station was closed.',
      },
    ]);
  });

  it('never lets an older draft replace a newer one', () => {
    const m = new CaptionModel('es', 'en');
    const older = draft(1, 'uno');
    const newer = draft(1, 'uno dos');
    m.apply(newer);
    expect(m.apply(older)).toBeNull();
    expect(parts(m).tail).toBe('uno dos');
    expect(m.apply({ ...newer })).toBeNull();
  });

  it('ignores a draft older than a translation of its segment', () => {
    const m = new CaptionModel('es', 'en');
    const stale = draft(1, 'uno dos');
    m.apply(ev('translation', 1, 'uno dos tres.', 'es'));
    expect(m.apply(stale)).toBeNull();
    expect(parts(m)).toEqual({ committed: 'uno dos tres.', tail: '', tailLang: 'es' });
  });

  it('keeps a draft that is newer than a translation arriving late', () => {
    const m = new CaptionModel('es', 'en');
    const first = ev('translation', 1, 'uno,', 'es');
    const second = ev('translation', 1, 'dos,', 'es');
    m.apply(first);
    m.apply(draft(1, 'tres'));
    // `second` was published before the draft but is applied after it (a replay after a reconnect).
    expect(m.apply({ ...second, replay: true })).toEqual({ segmentId: 1, committed: 'dos,' });
    expect(parts(m)).toEqual({ committed: 'uno, dos,', tail: 'tres', tailLang: 'es' });
  });

  it('orders committed chunks by seq and applies replayed chunks once', () => {
    const m = new CaptionModel('es', 'en');
    const a = ev('translation', 1, 'uno,', 'es');
    const b = ev('translation', 1, 'dos,', 'es');
    const c = ev('translation', 1, 'tres.', 'es');
    m.apply(c);
    m.apply(a);
    m.apply(b);
    for (const chunk of [a, b, c]) expect(m.apply({ ...chunk, replay: true })).toBeNull();
    expect(parts(m).committed).toBe('uno, dos, tres.');
  });

  it('clears the tail with an empty draft once something is committed, and falls back to the speaker otherwise', () => {
    const m = new CaptionModel('es', 'en');
    m.apply(ev('partial', 1, 'hello'));
    m.apply(draft(1, ''));
    expect(parts(m)).toEqual({ committed: '', tail: 'hello', tailLang: 'en' });
    m.apply(ev('translation', 1, 'hola,', 'es'));
    m.apply(draft(1, 'mundo'));
    m.apply(draft(1, ''));
    expect(parts(m)).toEqual({ committed: 'hola,', tail: '', tailLang: 'es' });
  });

  it('drops drafts on a language switch and ignores drafts in another language', () => {
    const m = new CaptionModel('es', 'en');
    m.apply(ev('partial', 1, 'hello'));
    m.apply(draft(1, 'hola'));
    m.switchLanguage('fr');
    expect(parts(m)).toEqual({ committed: '', tail: 'hello', tailLang: 'en' });
    expect(m.apply(draft(1, 'hola mundo', 'es'))).toBeNull();
    m.apply(draft(1, 'bonjour', 'fr'));
    expect(parts(m)).toEqual({ committed: '', tail: 'bonjour', tailLang: 'fr' });
  });

  it('keeps drafts out of a source-language reader’s line', () => {
    const m = new CaptionModel('en', 'en');
    m.apply(ev('partial', 1, 'hello'));
    expect(m.apply(draft(1, 'hello there', 'en'))).toBeNull();
    expect(parts(m)).toEqual({ committed: '', tail: 'hello', tailLang: 'en' });
  });

  it('counts drafts towards the last seq seen', () => {
    const m = new CaptionModel('es', 'en');
    const d = draft(1, 'hola');
    m.apply(d);
    expect(m.lastSeq).toBe(d.seq);
  });
});
