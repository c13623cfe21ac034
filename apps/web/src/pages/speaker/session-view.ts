/** The live session: header, alert, and the join, microphone, listeners and transcript panels. */
import type { LanguagesResponse, SessionInfo } from '@babelcast/protocol';
import { api } from '../shared/api.ts';
import { h, testHooks } from '../shared/dom.ts';
import { AudioUplink } from './audio-uplink.ts';
import { SpeakerController, type SpeakerEvents } from './controller.ts';
import { joinPanel } from './join-panel.ts';
import { listenersTable } from './listeners-table.ts';
import { Microphone } from './microphone.ts';
import { microphonePanel } from './microphone-panel.ts';
import { labels, microphoneProblem, show } from './page.ts';
import { STATE_LABEL } from './text.ts';
import { TranscriptView } from './transcript-view.ts';

export function sessionView(token: string, initial: SessionInfo, languages: LanguagesResponse | null): void {
  const stateBadge = h('span', { className: 'badge', id: 'session-state' });
  const connBadge = h('span', { className: 'badge muted', id: 'connection', role: 'status' });
  const alert = h('p', { className: 'error', role: 'alert', id: 'speaker-alert' });
  const events: SpeakerEvents = {
    changed: render,
    caption: (change) => transcript.render(change.segmentId),
    level: (dbfs) => mic.level(dbfs),
    warnings: (found) => mic.warnings(found),
  };
  const controller = new SpeakerController(
    token,
    initial,
    {
      openUplink: (id, t, handlers) => new AudioUplink(id, t, handlers),
      openMicrophone: (deviceId, onFrame) => Microphone.open(deviceId, onFrame),
      api,
      labels,
    },
    events,
  );
  const mic = microphonePanel(controller, microphoneProblem);
  const listeners = listenersTable(languages?.names);
  const transcript = new TranscriptView(controller.transcript);

  function render(): void {
    const { session, connection } = controller;
    stateBadge.textContent = STATE_LABEL[session.state];
    stateBadge.className = `badge state-${session.state}`;
    if (connection) {
      connBadge.textContent = connection.text;
      connBadge.className = `badge conn-${connection.status}`;
    }
    alert.textContent = controller.alert;
    mic.render();
    listeners.render(controller.listenerRows(), controller.totalListeners);
  }

  // Closing the tab mid-talk silently stops the broadcast; make that a deliberate choice.
  window.addEventListener('beforeunload', (ev) => {
    if (controller.broadcasting) ev.preventDefault();
  });
  testHooks().speaker = {
    stats: () => controller.stats(),
    dropConnection: () => controller.dropConnection(),
  };
  show(
    h(
      'header',
      { className: 'bar' },
      h('h1', {}, initial.title ?? 'Untitled session'),
      stateBadge,
      connBadge,
    ),
    alert,
    h(
      'div',
      { className: 'speaker-grid' },
      joinPanel(initial.joinUrl),
      mic.element,
      listeners.element,
      h(
        'section',
        { className: 'card transcript-card', 'aria-labelledby': 'transcript-heading' },
        h('h2', { id: 'transcript-heading' }, 'What the recogniser hears'),
        transcript.element,
      ),
    ),
  );
  render();
  if (initial.state !== 'ended') void mic.fillDevices();
}
