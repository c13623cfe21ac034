/**
 * The listener page, opened from the join link or QR code on a phone: pick a language, read the
 * captions, tap to hear the translated speech. No account. Its labels follow the chosen language.
 */
import {
  type CaptionEvent,
  type DraftEvent,
  decodeListenerAudioPacket,
  ErrorCode,
  LANGUAGES,
  type ListenerServerMessage,
  PROTOCOL_VERSION,
  type PublicSessionInfo as SessionInfo,
  type SessionState,
} from '@babelcast/protocol';
import { ApiError, api, wsUrl } from '../shared/api.ts';
import { CaptionModel } from '../shared/caption-model.ts';
import { byId, h, testHooks } from '../shared/dom.ts';
import { type Dictionary, dictionaryFor, type MessageKey, pickInitialLanguage } from '../shared/i18n.ts';
import { refusalForHttp } from '../shared/refusals.ts';
import {
  type CloseInfo,
  describeClose,
  ReconnectingSocket,
  type SocketStatus,
} from '../shared/reconnecting-socket.ts';
import { AudioPlayer } from './audio-player.ts';
import { CaptionView } from './caption-view.ts';
import type { DecoderKind } from './decoders.ts';

const LANG_KEY = 'babelcast.listener.lang';
const SIZE_KEY = 'babelcast.listener.size';
const THEME_KEY = 'babelcast.listener.theme';
const FONT_SIZES = [1.25, 1.5, 1.75, 2, 2.5, 3, 3.75, 4.5];
const DEFAULT_SIZE_INDEX = 3;
/** The voice-skipped notice is news, not a state: it goes away by itself. */
const VOICE_NOTICE_MS = 5000;

const app = byId('app');
const params = new URLSearchParams(location.search);
const sessionId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');

function nativeName(code: string): string {
  return (LANGUAGES as Record<string, { native: string }>)[code]?.native ?? code;
}

function stored(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function store(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private browsing may refuse storage; preferences then last for this visit only.
  }
}

function fatalView(text: string): void {
  app.replaceChildren(h('h1', {}, 'Babelcast'), h('p', { className: 'error', role: 'alert' }, text));
}

async function main(): Promise<void> {
  const browserLabels = dictionaryFor(navigator.language).t;
  let session: SessionInfo;
  for (let attempt = 0; ; attempt++) {
    try {
      session = await api<SessionInfo>(`/api/sessions/${encodeURIComponent(sessionId)}`);
      break;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return fatalView(browserLabels.notFound);
      // A full or rate-limiting server: say so, and try again by itself (slowly).
      const refusal = err instanceof ApiError ? refusalForHttp(err.status, err.code) : null;
      if (!refusal?.message) return fatalView(err instanceof Error ? err.message : String(err));
      fatalView(browserLabels[refusal.message]);
      if (refusal.action !== 'retry') return;
      await new Promise((r) => setTimeout(r, refusal.delayMs(attempt)));
    }
  }
  const language =
    pickInitialLanguage(
      session.targetLanguages,
      [params.get('lang'), stored(LANG_KEY)],
      navigator.languages,
    ) ?? session.sourceLanguage;
  listenerView(session, language);
}

function listenerView(initial: SessionInfo, initialLanguage: string): void {
  let session = initial;
  let language = initialLanguage;
  /** The language the server last confirmed: a refused switch goes back to it. */
  let confirmedLanguage: string | null = null;
  let t: Dictionary = dictionaryFor(language).t;
  let status: SocketStatus = 'connecting';
  let closeInfo: CloseInfo | null = null;
  /** Highest event seq seen (captions and audio share the space): reconnects resume after it. */
  let lastSeq = -1;
  const model = new CaptionModel(language, session.sourceLanguage);
  const player = new AudioPlayer((params.get('decoder') as DecoderKind | null) ?? null);
  let muted = false;
  let sizeIndex = Number(stored(SIZE_KEY) ?? DEFAULT_SIZE_INDEX);
  if (!Number.isInteger(sizeIndex) || sizeIndex < 0 || sizeIndex >= FONT_SIZES.length)
    sizeIndex = DEFAULT_SIZE_INDEX;
  let dark =
    (stored(THEME_KEY) ?? (matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark')) ===
    'dark';

  const title = h('h1', { className: 'session-title' }, session.title ?? '');
  const liveDot = h('span', { className: 'dot', 'aria-hidden': 'true' });
  const liveText = h('span', {});
  const live = h('p', { className: 'live', id: 'live-indicator', role: 'status' }, liveDot, liveText);
  const langLabel = h('label', { for: 'language' });
  const langSelect = h('select', { id: 'language' });
  /** The list holds the session's offered languages only (welcome carries them). */
  function fillLanguages(): void {
    const offered = session.targetLanguages.includes(language)
      ? session.targetLanguages
      : [...session.targetLanguages, language];
    langSelect.replaceChildren(
      ...offered.map((code) => h('option', { value: code, lang: code }, nativeName(code))),
    );
    langSelect.value = language;
  }
  fillLanguages();
  const listenBtn = h('button', { type: 'button', className: 'primary listen', id: 'listen' });
  const muteBtn = h('button', { type: 'button', id: 'mute', 'aria-pressed': 'false', hidden: true });
  // The visible "A−"/"A+" is a glyph; the accessible name is the translated words beside it.
  const smallerName = h('span', { className: 'visually-hidden' });
  const largerName = h('span', { className: 'visually-hidden' });
  const smallerBtn = h(
    'button',
    { type: 'button', id: 'smaller' },
    h('span', { 'aria-hidden': 'true' }, 'A−'),
    smallerName,
  );
  const largerBtn = h(
    'button',
    { type: 'button', id: 'larger' },
    h('span', { 'aria-hidden': 'true' }, 'A+'),
    largerName,
  );
  const themeBtn = h('button', { type: 'button', id: 'theme' });
  const notice = h('p', { className: 'error', id: 'notice', role: 'alert' });
  // Not an alert: skipping ahead is the voice working as intended when it falls far behind.
  const voiceNotice = h('p', { className: 'info', id: 'voice-notice', role: 'status' });
  let voiceNoticeTimer: ReturnType<typeof setTimeout> | null = null;
  const view = new CaptionView(model);

  function applyLabels(): void {
    const { lang, t: dict } = dictionaryFor(language);
    t = dict;
    document.documentElement.lang = lang;
    document.title = session.title ? `${session.title} · ${t.pageTitle}` : t.pageTitle;
    if (!session.title) title.textContent = t.pageTitle;
    langLabel.textContent = t.language;
    listenBtn.textContent = t.listen;
    muteBtn.textContent = muted ? t.unmute : t.mute;
    smallerName.textContent = t.smaller;
    largerName.textContent = t.larger;
    themeBtn.textContent = t.darkMode;
    view.setLabels(t.captions, t.emptyCaptions);
    if (voiceNotice.textContent) voiceNotice.textContent = t.voiceSkipped;
    renderStatus();
  }

  function applyLook(): void {
    document.documentElement.dataset.theme = dark ? 'dark' : 'light';
    themeBtn.setAttribute('aria-pressed', String(dark));
    document.documentElement.style.setProperty('--caption-size', `${FONT_SIZES[sizeIndex]}rem`);
    smallerBtn.disabled = sizeIndex === 0;
    largerBtn.disabled = sizeIndex === FONT_SIZES.length - 1;
  }

  function renderStatus(): void {
    let text: string;
    let cls: string;
    if (status === 'closed' && closeInfo) {
      text = t.connectionLost;
      cls = 'off';
    } else if (status === 'connecting') {
      text = t.connecting;
      cls = 'off';
    } else if (status === 'reconnecting') {
      text = t.reconnecting;
      cls = 'off';
    } else {
      const byState: Record<SessionState, [string, string]> = {
        created: [t.waiting, 'off'],
        live: [t.live, 'on'],
        paused: [t.paused, 'off'],
        ended: [t.ended, 'off'],
      };
      [text, cls] = byState[session.state];
    }
    liveText.textContent = text;
    live.className = `live ${cls}`;
  }

  function onCaptionOrDraft(ev: CaptionEvent | DraftEvent): void {
    lastSeq = Math.max(lastSeq, ev.seq);
    const change = model.apply(ev);
    // Replayed history was already said, or is too old to be worth saying now.
    const replayed = ev.type === 'caption' && ev.replay === true;
    if (change) view.render(change.segmentId, replayed ? '' : change.committed);
  }

  function showVoiceSkipped(): void {
    // Only someone listening hears the jump; to a reader the notice would be noise.
    if (!player.unlocked) return;
    voiceNotice.textContent = t.voiceSkipped;
    if (voiceNoticeTimer) clearTimeout(voiceNoticeTimer);
    voiceNoticeTimer = setTimeout(() => {
      voiceNotice.textContent = '';
    }, VOICE_NOTICE_MS);
  }

  function onMessage(msg: ListenerServerMessage): void {
    switch (msg.type) {
      case 'welcome':
        session = msg.session;
        socket.markHealthy();
        notice.textContent = '';
        confirmedLanguage = msg.targetLanguage;
        if (msg.targetLanguage !== language) setLanguage(msg.targetLanguage, false);
        else fillLanguages();
        break;
      case 'caption':
      case 'draft':
        onCaptionOrDraft(msg);
        break;
      case 'state':
        session = { ...session, state: msg.state };
        if (msg.state === 'ended') socket.stop();
        break;
      case 'languageChanged':
        confirmedLanguage = msg.targetLanguage;
        if (msg.targetLanguage !== language) setLanguage(msg.targetLanguage, false);
        break;
      case 'notice':
        if (msg.code === ErrorCode.VOICE_SKIPPED) {
          if (!msg.lang || msg.lang === language) showVoiceSkipped();
        } else notice.textContent = msg.message;
        break;
      case 'error':
        onError(msg.code, msg.message);
        break;
    }
    renderStatus();
  }

  /** An `error` on an open socket: a refused switch keeps the language the server confirmed. */
  function onError(code: string, message: string): void {
    const key: MessageKey | null =
      code === ErrorCode.RATE_LIMITED
        ? 'rateLimited'
        : code === ErrorCode.OVER_CAPACITY
          ? 'overCapacity'
          : code === ErrorCode.LANGUAGE_NOT_OFFERED ||
              code === ErrorCode.UNSUPPORTED_PAIR ||
              code === ErrorCode.UNSUPPORTED_LANGUAGE
            ? 'unsupportedLanguage'
            : null;
    if (!key) {
      notice.textContent = message;
      return;
    }
    // A dropped message changes nothing; a refused language or a full node keeps the old language.
    if (key !== 'rateLimited' && confirmedLanguage && confirmedLanguage !== language)
      setLanguage(confirmedLanguage, false);
    notice.textContent = t[key];
  }

  function setLanguage(code: string, tellServer: boolean): void {
    language = code;
    langSelect.value = code;
    store(LANG_KEY, code);
    model.switchLanguage(code);
    player.reset();
    voiceNotice.textContent = '';
    view.renderAll();
    applyLabels();
    fillLanguages();
    if (!tellServer) return;
    // Closed because the last language was refused: connect again with this one.
    if (status === 'closed' && closeInfo?.refusal?.action === 'chooseLanguage') {
      closeInfo = null;
      notice.textContent = '';
      socket.start();
    } else socket.sendJson({ type: 'setLanguage', targetLanguage: code });
  }

  const socket = new ReconnectingSocket(
    () => {
      const q = new URLSearchParams({ session: session.id, targetLanguage: language });
      if (lastSeq >= 0) q.set('since', String(lastSeq));
      return wsUrl(`/ws/listener?${q}`);
    },
    {
      onOpen: () => socket.sendJson({ type: 'hello', protocol: PROTOCOL_VERSION }),
      onMessage: (msg) => onMessage(msg as unknown as ListenerServerMessage),
      onBinary: (data) => {
        let packet: ReturnType<typeof decodeListenerAudioPacket>;
        try {
          packet = decodeListenerAudioPacket(data);
        } catch {
          return;
        }
        lastSeq = Math.max(lastSeq, packet.seq);
        // Packets still in flight from the previous language after a switch.
        if (packet.language !== language) return;
        player.push(packet);
      },
      onStatus: (s, close) => {
        status = s;
        if (s === 'closed' && close) {
          closeInfo = close;
          notice.textContent = closeMessage(close);
          if (close.refusal?.action === 'chooseLanguage') void refreshOffered();
        } else if (s === 'reconnecting' && close?.refusal?.message) {
          // A full or rate-limiting server: say so while the page waits to try again.
          notice.textContent = t[close.refusal.message];
        }
        renderStatus();
      },
    },
  );

  function closeMessage(close: CloseInfo): string {
    const key = close.refusal?.message;
    if (key) return t[key];
    return `${t.connectionLost} ${describeClose(close)}`;
  }

  /** After a language was refused: the list becomes what the session offers now. */
  async function refreshOffered(): Promise<void> {
    try {
      session = await api<SessionInfo>(`/api/sessions/${encodeURIComponent(session.id)}`);
    } catch {
      return;
    }
    const offered = session.targetLanguages.filter((code) => code !== language);
    langSelect.replaceChildren(
      h('option', { value: '', disabled: true }, '—'),
      ...offered.map((code) => h('option', { value: code, lang: code }, nativeName(code))),
    );
    langSelect.value = '';
  }

  langSelect.addEventListener('change', () => {
    if (langSelect.value) setLanguage(langSelect.value, true);
  });
  // Phones dim and lock while the listener only reads; keep the screen on once they chose to listen.
  let wakeLock: WakeLockSentinel | null = null;
  const keepAwake = () => {
    if (!('wakeLock' in navigator) || document.visibilityState !== 'visible') return;
    navigator.wakeLock
      .request('screen')
      .then((lock) => {
        wakeLock = lock;
      })
      .catch(() => {});
  };
  document.addEventListener('visibilitychange', () => {
    if (player.unlocked && (!wakeLock || wakeLock.released)) keepAwake();
  });

  listenBtn.addEventListener('click', async () => {
    keepAwake();
    try {
      await player.unlock();
      listenBtn.hidden = true;
      muteBtn.hidden = false;
      muteBtn.focus();
    } catch {
      notice.textContent = t.audioUnavailable;
    }
  });
  muteBtn.addEventListener('click', () => {
    muted = !muted;
    player.setMuted(muted);
    muteBtn.setAttribute('aria-pressed', String(muted));
    muteBtn.textContent = muted ? t.unmute : t.mute;
  });
  smallerBtn.addEventListener('click', () => {
    sizeIndex = Math.max(0, sizeIndex - 1);
    store(SIZE_KEY, String(sizeIndex));
    applyLook();
  });
  largerBtn.addEventListener('click', () => {
    sizeIndex = Math.min(FONT_SIZES.length - 1, sizeIndex + 1);
    store(SIZE_KEY, String(sizeIndex));
    applyLook();
  });
  themeBtn.addEventListener('click', () => {
    dark = !dark;
    store(THEME_KEY, dark ? 'dark' : 'light');
    applyLook();
  });

  testHooks().listener = {
    stats: () => ({
      status,
      language,
      lastSeq,
      reconnects: socket.reconnects,
      lines: model.lines(),
      player: player.stats(),
    }),
  };

  app.replaceChildren(
    h('header', { className: 'bar' }, title, live),
    h(
      'div',
      { className: 'toolbar' },
      h('div', { className: 'field' }, langLabel, langSelect),
      listenBtn,
      muteBtn,
      h('div', { className: 'group' }, smallerBtn, largerBtn),
      themeBtn,
    ),
    notice,
    voiceNotice,
    view.section,
    view.announcer,
  );
  if (typeof AudioContext === 'undefined') {
    listenBtn.disabled = true;
    notice.textContent = t.audioUnavailable;
  }
  applyLabels();
  applyLook();
  socket.start();
}

void main();
