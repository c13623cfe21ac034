/** Who listens in which language, and how far each language is behind the speaker. */
import type { LanguagesResponse } from '@babelcast/protocol';
import { h } from '../shared/dom.ts';
import type { ListenerRow } from './controller.ts';
import { formatLag, languageName } from './text.ts';

export interface ListenersTable {
  readonly element: HTMLElement;
  render(rows: ListenerRow[], total: number): void;
}

export function listenersTable(names: LanguagesResponse['names'] | undefined): ListenersTable {
  const body = h('tbody', { id: 'listeners' });
  const totalLine = h('p', { id: 'listeners-total' });
  const table = h(
    'table',
    { className: 'listeners' },
    // Two short lag columns under one heading: four long headings overflow the card.
    h('colgroup', {}, h('col'), h('col')),
    h('colgroup', { span: 2 }),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col', rowspan: 2 }, 'Language'),
        h('th', { scope: 'col', rowspan: 2 }, 'Listeners'),
        h('th', { scope: 'colgroup', colspan: 2 }, 'Behind the speaker'),
      ),
      h('tr', {}, h('th', { scope: 'col' }, 'Text'), h('th', { scope: 'col' }, 'Voice')),
    ),
    body,
  );
  return {
    element: h(
      'section',
      { className: 'card', 'aria-labelledby': 'listeners-heading' },
      h('h2', { id: 'listeners-heading' }, 'Listeners'),
      totalLine,
      table,
    ),
    render(rows, total) {
      body.replaceChildren(
        ...rows.map((row) =>
          h(
            'tr',
            { 'data-lang': row.code },
            h('th', { scope: 'row' }, languageName(row.code, names)),
            h('td', { className: 'count' }, String(row.count)),
            h('td', { className: 'text-lag' }, formatLag(row.textLagMs)),
            h('td', { className: 'voice-lag' }, formatLag(row.voiceLagMs)),
          ),
        ),
      );
      totalLine.textContent = `${total} listener${total === 1 ? '' : 's'}`;
    },
  };
}
