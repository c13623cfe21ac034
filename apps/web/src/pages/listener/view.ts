/** The listener page's view: header with the live indicator, toolbar, notices and captions. */
import { LANGUAGES } from '@babelcast/protocol';
import { h } from '../shared/dom.ts';
import { dictionaryFor } from '../shared/i18n.ts';
import type { AudioPlayer } from './audio-player.ts';
import type { CaptionView } from './caption-view.ts';
import type { ListenerController } from './controller.ts';
import { listenControls } from './listen-controls.ts';
import { lookControls } from './preferences.ts';

function nativeName(code: string): string {
  return (LANGUAGES as Record<string, { native: string }>)[code]?.native ?? code;
}

export interface ListenerView {
  /** Status, notices, language list. */
  render(): void;
  /** Labels follow the reader's language. */
  applyLabels(): void;
}

/** The language list: rebuilt only when what it offers changed, so an open picker stays put. */
function languagePicker(controller: ListenerController): { select: HTMLSelectElement; render(): void } {
  const select = h('select', { id: 'language' });
  let shown = '';
  select.addEventListener('change', () => {
    if (select.value) controller.setLanguage(select.value, true);
  });
  return {
    select,
    render() {
      const { codes, placeholder } = controller.choices;
      const key = JSON.stringify([codes, placeholder, controller.language]);
      if (key === shown) return;
      shown = key;
      select.replaceChildren(
        ...(placeholder ? [h('option', { value: '', disabled: true }, '—')] : []),
        ...codes.map((code) => h('option', { value: code, lang: code }, nativeName(code))),
      );
      select.value = placeholder ? '' : controller.language;
    },
  };
}

/** Engines as listeners know them; the part after `engine:` is the engine's own voice name. */
const ENGINE_NAMES: Record<string, string> = {
  pico: 'SVOX Pico',
  rhvoice: 'RHVoice',
  'espeak-ng': 'eSpeak NG',
  flite: 'Flite',
  polly: 'Amazon Polly',
};

/** `pico:es-ES` → "SVOX Pico (es-ES)", `espeak-ng` → "eSpeak NG". */
export function voiceLabel(voice: string): string {
  const at = voice.indexOf(':');
  const engine = at < 0 ? voice : voice.slice(0, at);
  const name = ENGINE_NAMES[engine] ?? engine;
  return at < 0 ? name : `${name} (${voice.slice(at + 1)})`;
}

/**
 * The voice list, shown only where the language has more than one voice; rebuilt only when what
 * it offers changed, so an open picker stays put.
 */
function voicePicker(controller: ListenerController): {
  field: HTMLElement;
  label: HTMLLabelElement;
  render(): void;
} {
  const select = h('select', { id: 'voice' });
  const label = h('label', { for: 'voice' });
  const field = h('div', { className: 'field', id: 'voice-field', hidden: true }, label, select);
  let shown = '';
  select.addEventListener('change', () => {
    if (select.value) controller.setVoice(select.value);
  });
  return {
    field,
    label,
    render() {
      const voices = controller.voiceChoices();
      field.hidden = voices.length < 2;
      const key = JSON.stringify([voices, controller.voice]);
      if (key === shown) return;
      shown = key;
      select.replaceChildren(...voices.map((v) => h('option', { value: v }, voiceLabel(v))));
      select.value =
        controller.voice && voices.includes(controller.voice) ? controller.voice : (voices[0] ?? '');
    },
  };
}

export function listenerView(
  app: HTMLElement,
  controller: ListenerController,
  player: AudioPlayer,
  captions: CaptionView,
): ListenerView {
  const title = h('h1', { className: 'session-title' }, controller.session.title ?? '');
  const liveText = h('span', {});
  const dot = h('span', { className: 'dot', 'aria-hidden': 'true' });
  const live = h('p', { className: 'live', id: 'live-indicator', role: 'status' }, dot, liveText);
  const langLabel = h('label', { for: 'language' });
  const picker = languagePicker(controller);
  const voices = voicePicker(controller);
  const listen = listenControls(controller, player);
  const look = lookControls();
  const notice = h('p', { className: 'error', id: 'notice', role: 'alert' });
  // Not an alert: skipping ahead is the voice working as intended when it falls far behind.
  const voiceNotice = h('p', { className: 'info', id: 'voice-notice', role: 'status' });
  app.replaceChildren(
    h('header', { className: 'bar' }, title, live),
    h(
      'div',
      { className: 'toolbar' },
      h('div', { className: 'field' }, langLabel, picker.select),
      voices.field,
      ...listen.elements,
      ...look.elements,
    ),
    notice,
    voiceNotice,
    captions.section,
    captions.announcer,
  );
  const view: ListenerView = {
    render() {
      const status = controller.liveStatus();
      liveText.textContent = status.text;
      live.className = `live ${status.on ? 'on' : 'off'}`;
      notice.textContent = controller.notice;
      voiceNotice.textContent = controller.voiceSkipped ? controller.t.voiceSkipped : '';
      picker.render();
      voices.render();
    },
    applyLabels() {
      const { t, session } = controller;
      document.documentElement.lang = dictionaryFor(controller.language).lang;
      document.title = session.title ? `${session.title} · ${t.pageTitle}` : t.pageTitle;
      if (!session.title) title.textContent = t.pageTitle;
      langLabel.textContent = t.language;
      voices.label.textContent = t.voice;
      listen.setLabels(t);
      look.setLabels(t);
      captions.setLabels(t.captions, t.emptyCaptions);
      view.render();
    },
  };
  return view;
}
