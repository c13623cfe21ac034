/** The input level bar and its dBFS figure. */
import { h } from '../shared/dom.ts';
import { METER_FLOOR_DBFS } from './controller.ts';

export interface LevelMeter {
  readonly element: HTMLElement;
  show(dbfs: number): void;
}

export function levelMeter(): LevelMeter {
  const fill = h('div', { className: 'level-fill' });
  const bar = h(
    'div',
    {
      className: 'level',
      role: 'meter',
      'aria-label': 'Input level',
      'aria-valuemin': METER_FLOOR_DBFS,
      'aria-valuemax': 0,
      'aria-valuenow': METER_FLOOR_DBFS,
    },
    fill,
  );
  const text = h('span', { className: 'level-text', id: 'level-text' }, '— dBFS');
  return {
    element: h('div', { className: 'level-row' }, bar, text),
    show(dbfs) {
      fill.style.width = `${((dbfs - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS) * 100}%`;
      bar.setAttribute('aria-valuenow', String(Math.round(dbfs)));
      text.textContent = `${Math.round(dbfs)} dBFS`;
    },
  };
}
