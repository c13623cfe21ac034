import type { CaptionEvent } from '@babelcast/protocol';
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

describe('CaptionModel', () => {
  it('shows a partial as a draft, then replaces it by the translation', () => {
    const m = new CaptionModel('es', 'en');
    m.apply(ev('partial', 1, 'hello'));
    expect(m.lines()).toMatchObject([{ text: 'hello', draft: true }]);
    m.apply(ev('final', 1, 'hello world'));
    expect(m.lines()).toMatchObject([{ text: 'hello world', draft: true }]);
    m.apply(ev('translation', 1, 'hola mundo', 'es'));
    expect(m.lines()).toMatchObject([{ text: 'hola mundo', draft: false, source: 'hello world' }]);
  });

  it('treats the final as final when the listener wants the source language', () => {
    const m = new CaptionModel('en', 'en');
    m.apply(ev('final', 1, 'hello world'));
    expect(m.lines()).toMatchObject([{ text: 'hello world', draft: false }]);
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
    m.apply(ev('translation', 1, 'uno', 'es', true));
    expect(m.apply(ev('translation', 1, 'uno', 'es', true))).toBeNull();
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
