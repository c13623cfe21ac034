/**
 * The caption text a page shows, built from caption and draft events. DOM-free, so it is tested on
 * scripted event sequences.
 *
 * A segment's line has two parts:
 * - `committed`: text that will not change any more. For a reader of a translation, the segment's
 *   `translation` captions so far, in seq order (simultaneous mode commits a segment chunk by
 *   chunk, so a segment has several). For a reader of the source language, its `final`.
 * - `tail`: text that may still change, shown in the draft style after `committed`. The newest
 *   translated `draft` that is newer (by seq) than every translation of the segment; while the
 *   segment has neither translation nor draft, the speaker's own words (partial, then final).
 *
 * Events may repeat (replay after a reconnect or language switch) or arrive out of order. Committed
 * chunks are keyed by seq and drafts are compared by seq, so applying an event twice is harmless
 * and an older draft never replaces a newer one.
 */
import type { CaptionEvent, DraftEvent } from '@babelcast/protocol';

export interface CaptionLine {
  segmentId: number;
  committed: string;
  tail: string;
  /** Language of `tail`: the reader's language for a translated draft, else the source language. */
  tailLang: string;
  /** Nothing is committed yet: the whole line may still change. */
  draft: boolean;
  /** `committed` and `tail` as one string. */
  text: string;
  /** Source-language text, for pages that show both. */
  source: string;
  mediaStartMs: number;
}

/** What one event changed in a line. */
export interface LineChange {
  segmentId: number;
  /** Text this event committed (a new translation chunk, or the final for a source-language reader); '' if none. */
  committed: string;
}

interface SegmentText {
  partial?: string;
  final?: string;
  /** Committed translation chunks in the reader's language, by seq. */
  translations: Map<number, string>;
  /** Newest translated draft; dropped as soon as a newer translation commits what it covered. */
  draft?: { seq: number; text: string };
  mediaStartMs: number;
}

export class CaptionModel {
  private readonly segments = new Map<number, SegmentText>();
  /** Highest seq applied; a reconnect asks for everything after it. */
  lastSeq = -1;

  constructor(
    /** The language the reader wants; when it is the source language, finals need no translation. */
    public targetLanguage: string,
    public sourceLanguage: string,
    private readonly maxSegments = 300,
  ) {}

  /** Apply an event; returns what changed in its segment's line, or null if the line is unchanged. */
  apply(ev: CaptionEvent | DraftEvent): LineChange | null {
    if (ev.seq > this.lastSeq) this.lastSeq = ev.seq;
    // Translations and drafts in another language are in flight from before a language switch.
    if ((ev.type === 'draft' || ev.kind === 'translation') && ev.lang !== this.targetLanguage) return null;
    const seg = this.segment(ev.segmentId, ev.mediaStartMs);
    if (!seg) return null;
    const before = this.line(ev.segmentId)!;
    if (ev.type === 'draft') {
      if (ev.seq <= newestTranslationSeq(seg) || (seg.draft && ev.seq <= seg.draft.seq)) return null;
      seg.draft = { seq: ev.seq, text: ev.text };
    } else if (ev.kind === 'partial') {
      if (seg.final !== undefined) return null;
      seg.partial = ev.text;
    } else if (ev.kind === 'final') {
      seg.final = ev.text;
    } else {
      seg.translations.set(ev.seq, ev.text);
      if (seg.draft && seg.draft.seq < ev.seq) seg.draft = undefined;
    }
    const after = this.line(ev.segmentId)!;
    if (
      after.committed === before.committed &&
      after.tail === before.tail &&
      after.tailLang === before.tailLang
    )
      return null;
    // Only a translation (or a final, for a source-language reader) commits text, and what it
    // commits is its own text: that is what a screen reader should hear, once.
    const committed = after.committed !== before.committed && ev.type === 'caption' ? ev.text.trim() : '';
    return { segmentId: ev.segmentId, committed };
  }

  /** Drop translations and drafts after a language switch; replayed events refill the translations. */
  switchLanguage(targetLanguage: string): void {
    this.targetLanguage = targetLanguage;
    for (const seg of this.segments.values()) {
      seg.translations.clear();
      seg.draft = undefined;
    }
  }

  line(segmentId: number): CaptionLine | undefined {
    const seg = this.segments.get(segmentId);
    if (!seg) return undefined;
    const source = seg.final ?? seg.partial ?? '';
    const base = { segmentId, source, mediaStartMs: seg.mediaStartMs };
    if (this.targetLanguage === this.sourceLanguage) {
      // The reader wants the speaker's own words: the final is what commits them.
      const committed = seg.final ?? '';
      const tail = seg.final === undefined ? (seg.partial ?? '') : '';
      return makeLine(base, committed, tail, this.sourceLanguage);
    }
    const committed = joinChunks([...seg.translations].sort((a, b) => a[0] - b[0]).map(([, text]) => text));
    const draft = seg.draft?.text.trim() ?? '';
    if (draft !== '' || committed !== '') return makeLine(base, committed, draft, this.targetLanguage);
    // Until anything is translated, the speaker's words stand in as the draft.
    return makeLine(base, '', source, this.sourceLanguage);
  }

  lines(): CaptionLine[] {
    return [...this.segments.keys()]
      .sort((a, b) => a - b)
      .map((id) => this.line(id)!)
      .filter((l) => l.text !== '');
  }

  private segment(segmentId: number, mediaStartMs: number): SegmentText | undefined {
    let seg = this.segments.get(segmentId);
    if (!seg) {
      seg = { mediaStartMs, translations: new Map() };
      this.segments.set(segmentId, seg);
      this.trim();
    }
    return this.segments.get(segmentId);
  }

  private trim(): void {
    while (this.segments.size > this.maxSegments) {
      const oldest = Math.min(...this.segments.keys());
      this.segments.delete(oldest);
    }
  }
}

function newestTranslationSeq(seg: SegmentText): number {
  let newest = -1;
  for (const seq of seg.translations.keys()) if (seq > newest) newest = seq;
  return newest;
}

/** Chunks are separate translations of consecutive clauses: one space between them. */
function joinChunks(chunks: string[]): string {
  return chunks
    .map((c) => c.trim())
    .filter((c) => c !== '')
    .join(' ');
}

function makeLine(
  base: Pick<CaptionLine, 'segmentId' | 'source' | 'mediaStartMs'>,
  committed: string,
  tail: string,
  tailLang: string,
): CaptionLine {
  return {
    ...base,
    committed,
    tail,
    tailLang,
    draft: committed === '',
    text: joinChunks([committed, tail]),
  };
}
