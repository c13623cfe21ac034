/**
 * Draws the CaptionModel's lines. Each segment is one paragraph holding two spans: the committed
 * text, and the draft tail in the draft style. Drafts change several times a second, so a line's
 * nodes are made once and only their text nodes' data changes afterwards: no element is re-created,
 * and the paragraph keeps its place (and the reader's scroll position with it).
 *
 * Screen readers hear committed text only, once: each newly committed chunk is appended to a
 * separate polite live region, and draft spans are aria-hidden, so neither the live region nor a
 * reader browsing the captions ever meets text that is about to change.
 */
import type { CaptionModel } from '../shared/caption-model.ts';
import { h } from '../shared/dom.ts';

/** Lines kept on the page; older ones scroll away for good. */
const MAX_LINES = 300;
/** Announcements kept in the live region; removals are not announced, so old ones can go. */
const MAX_ANNOUNCEMENTS = 5;
/** Within this many pixels of the bottom, the view follows new text. */
const FOLLOW_SLACK_PX = 80;

interface LineNodes {
  el: HTMLParagraphElement;
  committed: Text;
  draft: Text;
  draftSpan: HTMLSpanElement;
}

export class CaptionView {
  readonly section: HTMLElement;
  readonly announcer: HTMLElement;
  private readonly empty: HTMLParagraphElement;
  private readonly lines = new Map<number, LineNodes>();

  constructor(private readonly model: CaptionModel) {
    this.empty = h('p', { className: 'empty', id: 'empty' });
    this.section = h('section', { className: 'captions', id: 'captions', tabindex: 0 }, this.empty);
    this.announcer = h('div', { className: 'visually-hidden', 'aria-live': 'polite', id: 'announcer' });
  }

  setLabels(captionsLabel: string, emptyText: string): void {
    this.section.setAttribute('aria-label', captionsLabel);
    this.empty.textContent = emptyText;
  }

  /** Redraw one segment's line; `committed` is the text the event just committed, to be announced. */
  render(segmentId: number, committed = ''): void {
    const line = this.model.line(segmentId);
    if (!line || line.text === '') {
      this.lines.get(segmentId)?.el.remove();
      this.lines.delete(segmentId);
      this.empty.hidden = this.lines.size > 0;
      return;
    }
    const s = this.section;
    const following = s.scrollHeight - s.scrollTop - s.clientHeight < FOLLOW_SLACK_PX;
    const nodes = this.lines.get(segmentId) ?? this.createLine(segmentId);
    setData(nodes.committed, line.committed);
    // The space belongs to the draft, so a line with nothing committed does not start with one.
    setData(nodes.draft, line.tail !== '' && line.committed !== '' ? ` ${line.tail}` : line.tail);
    nodes.draftSpan.hidden = line.tail === '';
    if (nodes.draftSpan.lang !== line.tailLang) nodes.draftSpan.lang = line.tailLang;
    nodes.el.classList.toggle('draft', line.draft);
    if (committed !== '') this.announce(committed);
    // Follow the newest line unless the reader scrolled up to reread something.
    if (following) s.scrollTop = s.scrollHeight;
  }

  /** Redraw every line (language switch): the model dropped the old language's text. */
  renderAll(): void {
    for (const nodes of this.lines.values()) nodes.el.remove();
    this.lines.clear();
    for (const line of this.model.lines()) this.render(line.segmentId);
    this.empty.hidden = this.lines.size > 0;
  }

  private createLine(segmentId: number): LineNodes {
    const committed = document.createTextNode('');
    const draft = document.createTextNode('');
    const draftSpan = h('span', { className: 'draft', 'aria-hidden': 'true' }, draft);
    const el = h(
      'p',
      { className: 'line', 'data-segment': String(segmentId), lang: this.model.targetLanguage },
      h('span', { className: 'committed' }, committed),
      draftSpan,
    );
    const next = [...this.lines.entries()].filter(([id]) => id > segmentId).sort((a, b) => a[0] - b[0])[0];
    if (next) next[1].el.before(el);
    else this.section.append(el);
    const nodes = { el, committed, draft, draftSpan };
    this.lines.set(segmentId, nodes);
    this.empty.hidden = true;
    while (this.lines.size > MAX_LINES) {
      const oldest = Math.min(...this.lines.keys());
      this.lines.get(oldest)?.el.remove();
      this.lines.delete(oldest);
    }
    return nodes;
  }

  private announce(text: string): void {
    this.announcer.append(h('p', { lang: this.model.targetLanguage }, text));
    while (this.announcer.childElementCount > MAX_ANNOUNCEMENTS) this.announcer.firstElementChild?.remove();
  }
}

/** Writing the same text again still costs a layout in some browsers; skip it. */
function setData(node: Text, text: string): void {
  if (node.data !== text) node.data = text;
}
