/**
 * What the recogniser hears, drawn from the shared CaptionModel (the speaker reads the source
 * language): each segment's final is a line of its own, in the order finals arrive; the newest
 * partial stays in the last line (#partial) until its final replaces it.
 */
import type { CaptionModel } from '../shared/caption-model.ts';
import { h } from '../shared/dom.ts';

/** Final lines kept on the page; the store keeps the whole transcript for export. */
const MAX_LINES = 200;

export class TranscriptView {
  readonly element: HTMLOListElement;
  private readonly partial: HTMLLIElement;
  private readonly finals = new Map<number, HTMLLIElement>();

  constructor(private readonly model: CaptionModel) {
    this.partial = h('li', { className: 'draft', id: 'partial' });
    this.element = h('ol', { className: 'transcript', id: 'transcript' }, this.partial);
  }

  render(segmentId: number): void {
    const line = this.model.line(segmentId);
    const committed = line?.committed ?? '';
    const existing = this.finals.get(segmentId);
    if (existing) existing.textContent = committed;
    else if (committed) this.addFinal(segmentId, committed);
    const id = String(segmentId);
    if (line?.tail) {
      this.partial.textContent = line.tail;
      this.partial.dataset.segment = id;
    } else if (this.partial.dataset.segment === id) this.partial.textContent = '';
    this.element.scrollTop = this.element.scrollHeight;
  }

  private addFinal(segmentId: number, text: string): void {
    const li = h('li', { 'data-segment': String(segmentId) }, text);
    this.partial.before(li);
    this.finals.set(segmentId, li);
    for (const [id, old] of this.finals) {
      if (this.finals.size <= MAX_LINES) break;
      old.remove();
      this.finals.delete(id);
    }
  }
}
