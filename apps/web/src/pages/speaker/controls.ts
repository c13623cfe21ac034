/** Start, Pause, Resume and End (with its confirmation): what is offered follows the controller. */
import { h } from '../shared/dom.ts';
import type { SpeakerController } from './controller.ts';

/** The confirmation goes away by itself: an End pressed by mistake should not linger, armed. */
const CONFIRM_END_MS = 6000;

export interface Controls {
  readonly element: HTMLElement;
  render(): void;
}

/**
 * `start` opens the microphone (the panel knows which one); `unavailable` says why this browser
 * cannot capture, or null.
 */
export function controls(
  controller: SpeakerController,
  start: () => void,
  unavailable: string | null,
): Controls {
  const startBtn = h('button', { type: 'button', className: 'primary', id: 'start' }, 'Start');
  const pauseBtn = h('button', { type: 'button', id: 'pause', hidden: true }, 'Pause');
  const resumeBtn = h('button', { type: 'button', id: 'resume', hidden: true }, 'Resume');
  const endBtn = h('button', { type: 'button', className: 'danger', id: 'end' }, 'End session');
  const confirmEnd = h(
    'button',
    { type: 'button', className: 'danger', id: 'confirm-end', hidden: true },
    'Yes, end it for everyone',
  );
  startBtn.addEventListener('click', start);
  pauseBtn.addEventListener('click', () => void controller.control('pause'));
  resumeBtn.addEventListener('click', () => void controller.control('resume'));
  endBtn.addEventListener('click', () => {
    confirmEnd.hidden = false;
    confirmEnd.focus();
    setTimeout(() => {
      confirmEnd.hidden = true;
    }, CONFIRM_END_MS);
  });
  confirmEnd.addEventListener('click', () => {
    confirmEnd.hidden = true;
    void controller.control('end');
  });
  return {
    element: h('div', { className: 'controls' }, startBtn, pauseBtn, resumeBtn, endBtn, confirmEnd),
    render() {
      const { capturing, paused } = controller;
      const ended = controller.session.state === 'ended';
      startBtn.hidden = capturing || ended;
      startBtn.disabled = unavailable !== null || controller.starting;
      pauseBtn.hidden = !capturing || paused || ended;
      resumeBtn.hidden = !capturing || !paused || ended;
      endBtn.hidden = ended;
    },
  };
}
