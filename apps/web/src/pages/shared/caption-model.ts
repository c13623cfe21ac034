/**
 * The caption text a page shows, built from caption events. Events may repeat (replay after a
 * reconnect or language switch) or arrive out of order; keyed by segment, applying one twice is
 * harmless. Each segment shows its best text: a translation once there is one, else the source
 * final, else the latest partial as a draft.
 */
import type { CaptionEvent } from '@babelcast/protocol';

export interface CaptionLine {
  segmentId: number;
  text: string;
  /** Still the speaker's words (partial, or final not yet translated): shown as a draft. */
  draft: boolean;
  /** Source-language text, for pages that show both. */
  source: string;
  mediaStartMs: number;
}

interface SegmentText {
  partial?: string;
  final?: string;
  translation?: string;
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

  /** Apply an event; returns the segment id whose line changed, or null if nothing changed. */
  apply(ev: CaptionEvent): number | null {
    if (ev.seq > this.lastSeq) this.lastSeq = ev.seq;
    let seg = this.segments.get(ev.segmentId);
    if (!seg) {
      seg = { mediaStartMs: ev.mediaStartMs };
      this.segments.set(ev.segmentId, seg);
      this.trim();
      if (!this.segments.has(ev.segmentId)) return null;
    }
    const before = this.line(ev.segmentId)!;
    if (ev.kind === 'partial') {
      if (seg.final !== undefined) return null;
      seg.partial = ev.text;
    } else if (ev.kind === 'final') {
      seg.final = ev.text;
    } else {
      if (ev.lang !== this.targetLanguage) return null;
      seg.translation = ev.text;
    }
    const after = this.line(ev.segmentId)!;
    return after.text !== before.text || after.draft !== before.draft ? ev.segmentId : null;
  }

  /** Drop translations after a language switch; replayed events refill them. */
  switchLanguage(targetLanguage: string): void {
    this.targetLanguage = targetLanguage;
    for (const seg of this.segments.values()) delete seg.translation;
  }

  line(segmentId: number): CaptionLine | undefined {
    const seg = this.segments.get(segmentId);
    if (!seg) return undefined;
    const source = seg.final ?? seg.partial ?? '';
    const sameLanguage = this.targetLanguage === this.sourceLanguage;
    if (seg.translation !== undefined) {
      return { segmentId, text: seg.translation, draft: false, source, mediaStartMs: seg.mediaStartMs };
    }
    const draft = !(sameLanguage && seg.final !== undefined);
    return { segmentId, text: source, draft, source, mediaStartMs: seg.mediaStartMs };
  }

  lines(): CaptionLine[] {
    return [...this.segments.keys()]
      .sort((a, b) => a - b)
      .map((id) => this.line(id)!)
      .filter((l) => l.text !== '');
  }

  private trim(): void {
    while (this.segments.size > this.maxSegments) {
      const oldest = Math.min(...this.segments.keys());
      this.segments.delete(oldest);
    }
  }
}
