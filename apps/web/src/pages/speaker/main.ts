/**
 * The speaker page: sign in with a token, create a session, then speak. Shows what a presenter
 * needs at a glance: the join link and QR code for the audience, whether the microphone sounds
 * right, who is listening in which language, what the recogniser hears, and how far each
 * language's captions and voice are behind the speaker.
 */
import {
  type CaptionEvent,
  ErrorCode,
  LANGUAGES,
  type LanguagesResponse,
  type SessionInfo,
  type SessionState,
  type SpeakerServerMessage,
} from '@babelcast/protocol';
import QRCode from 'qrcode';
import { ApiError, api } from '../shared/api.ts';
import { h, testHooks } from '../shared/dom.ts';
import { dictionaryFor } from '../shared/i18n.ts';
import { InputMeter, type InputWarning, inputWarnings } from '../shared/input-stats.ts';
import { type CloseInfo, describeClose, type SocketStatus } from '../shared/reconnecting-socket.ts';
import { defaultTargets, maxLanguagesPerSession, targetsFor } from '../shared/offered-languages.ts';
import { refusalForHttp } from '../shared/refusals.ts';
import { AudioUplink } from './audio-uplink.ts';
import { listMicrophones, Microphone, microphoneUnavailableReason } from './microphone.ts';

const TOKEN_KEY = 'babelcast.token';
const UNACKED_LIMIT_S = 60;
const app = document.getElementById('app')!;
const hooks = testHooks();
/** The refusal messages, in the page's language (the speaker page's own text is English). */
const labels = dictionaryFor(document.documentElement.lang || 'en').t;

function languageName(code: string, names?: LanguagesResponse['names']): string {
  const known = names?.[code] ?? (LANGUAGES as Record<string, { name: string; native: string }>)[code];
  if (!known) return code;
  return known.native === known.name ? known.name : `${known.native} (${known.name})`;
}

function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const refusal = refusalForHttp(err.status, err.code);
    return refusal?.message ? labels[refusal.message] : err.message;
  }
  if (err instanceof DOMException && err.name === 'NotAllowedError') {
    return 'Microphone permission was refused. Allow it in the browser (the icon in the address bar) and try again.';
  }
  if (err instanceof DOMException && err.name === 'NotFoundError') return 'No microphone was found.';
  return err instanceof Error ? err.message : String(err);
}

/** Said on every view, before the speaker types a token only to find the microphone blocked. */
const microphoneProblem = microphoneUnavailableReason();

function show(...children: Node[]): void {
  const banner = microphoneProblem
    ? h('p', { className: 'error banner', id: 'insecure' }, microphoneProblem)
    : null;
  app.replaceChildren(...(banner ? [banner] : []), ...children);
  const heading = app.querySelector('h1');
  if (heading) document.title = `Babelcast · ${heading.textContent}`;
}

// ---------- sign in ----------

function signInView(message?: string): void {
  const input = h('input', {
    id: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
  });
  const error = h('p', { className: 'error', role: 'alert' }, message ?? '');
  const form = h(
    'form',
    { className: 'card' },
    h('label', { for: 'token' }, 'Speaker token'),
    input,
    h(
      'p',
      { className: 'hint' },
      'An administrator creates tokens with ',
      h('code', {}, 'babelcast token create'),
      '.',
    ),
    h('button', { type: 'submit', className: 'primary' }, 'Sign in'),
    error,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    error.textContent = '';
    try {
      const me = await api<{ speaker: { id: string; name: string } }>('/api/me', { token });
      sessionStorage.setItem(TOKEN_KEY, token);
      await route(me.speaker.name);
    } catch (err) {
      error.textContent =
        err instanceof ApiError && err.status === 401 ? 'That token was not accepted.' : errorText(err);
    }
  });
  show(h('h1', {}, 'Babelcast'), h('p', {}, 'Sign in to start a live translated session.'), form);
  input.focus();
}

// ---------- create session ----------

async function setupView(token: string, speakerName?: string): Promise<void> {
  const languages = await api<LanguagesResponse>('/api/languages');
  const select = h('select', { id: 'source-language' });
  for (const code of languages.sources)
    select.append(h('option', { value: code }, languageName(code, languages.names)));
  const prefer = navigator.language.split('-')[0];
  if (prefer && languages.sources.includes(prefer)) select.value = prefer;
  const title = h('input', { id: 'title', type: 'text', maxlength: 200, autocomplete: 'off' });
  const error = h('p', { className: 'error', role: 'alert' });
  // Which languages listeners may choose: each one costs the server while someone hears it.
  const limit = maxLanguagesPerSession(languages);
  const targetsBox = h('div', { className: 'targets', id: 'target-languages' });
  const targetsHint = h('p', { className: 'hint', id: 'targets-hint' });
  const targets = h(
    'fieldset',
    { className: 'targets-field' },
    h('legend', {}, 'Languages to offer listeners'),
    targetsBox,
    targetsHint,
  );
  const boxes = (): HTMLInputElement[] => [...targetsBox.querySelectorAll<HTMLInputElement>('input')];
  function enforceLimit(): void {
    if (limit === null) return;
    const full = boxes().filter((b) => b.checked).length >= limit;
    for (const b of boxes()) b.disabled = full && !b.checked;
  }
  function fillTargets(): void {
    const codes = targetsFor(languages, select.value);
    const initial = defaultTargets(codes, limit);
    targetsBox.replaceChildren(
      ...codes.map((code) => {
        const box = h('input', {
          type: 'checkbox',
          id: `target-${code}`,
          value: code,
          checked: initial.includes(code),
        });
        box.addEventListener('change', enforceLimit);
        return h(
          'label',
          { className: 'check', for: `target-${code}` },
          box,
          ` ${languageName(code, languages.names)}`,
        );
      }),
    );
    targets.hidden = codes.length === 0;
    targetsHint.textContent = limit === null ? '' : `At most ${limit} on this server.`;
    enforceLimit();
  }
  select.addEventListener('change', fillTargets);
  fillTargets();
  const form = h(
    'form',
    { className: 'card' },
    h('label', { for: 'source-language' }, 'Language you will speak'),
    select,
    targets,
    h('label', { for: 'title' }, 'Title (optional)'),
    title,
    h('button', { type: 'submit', className: 'primary' }, 'Create session'),
    error,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const chosen = boxes()
      .filter((b) => b.checked)
      .map((b) => b.value);
    if (boxes().length > 0 && chosen.length === 0) {
      error.textContent = 'Choose at least one language to offer.';
      return;
    }
    // All of them, as offered: leave the choice to the server, whose default is every served
    // language up to its limit (which GET /api/languages may not tell), so nothing is refused.
    const everything = chosen.length === boxes().length && limit === null;
    try {
      const body = {
        sourceLanguage: select.value,
        ...(title.value.trim() ? { title: title.value.trim() } : {}),
        ...(chosen.length > 0 && !everything ? { targetLanguages: chosen } : {}),
      };
      const session = await api<SessionInfo>('/api/sessions', { method: 'POST', token, body });
      history.replaceState(null, '', `/speak?session=${encodeURIComponent(session.id)}`);
      sessionView(token, session, languages);
    } catch (err) {
      error.textContent = errorText(err);
    }
  });
  const signOut = h('button', { type: 'button', className: 'link' }, 'Sign out');
  signOut.addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    signInView();
  });
  show(
    h('h1', {}, 'New session'),
    h('p', {}, speakerName ? `Signed in as ${speakerName}. ` : '', signOut),
    form,
  );
}

// ---------- live session ----------

const STATE_LABEL: Record<SessionState, string> = {
  created: 'Ready',
  live: 'Live',
  paused: 'Paused',
  ended: 'Ended',
};

function formatLag(ms: number | undefined): string {
  return ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`;
}

const WARNING_TEXT: Record<InputWarning, string> = {
  clipping: 'Too loud: the input is clipping. Move the microphone away or lower its gain.',
  tooQuiet: 'Too quiet: move closer to the microphone or raise its gain.',
  noisy: 'Noisy: background noise is close to your voice level; recognition will suffer.',
};

function sessionView(token: string, initial: SessionInfo, languages: LanguagesResponse | null): void {
  let session = initial;
  let uplink: AudioUplink | null = null;
  let mic: Microphone | null = null;
  let paused = session.state === 'paused';
  const meter = new InputMeter();
  let framesCaptured = 0;
  let statsTimer: ReturnType<typeof setInterval> | null = null;
  /** How far each language's listeners are behind the speaker, ms; merged from `lag` messages. */
  const textLag: Record<string, number> = {};
  const voiceLag: Record<string, number> = {};
  let counts: Record<string, number> = session.listeners;

  const stateBadge = h('span', { className: 'badge', id: 'session-state' });
  const connBadge = h('span', { className: 'badge muted', id: 'connection', role: 'status' });
  const alert = h('p', { className: 'error', role: 'alert', id: 'speaker-alert' });

  // Join link and QR code, sized for a projector.
  const joinLink = h('a', { href: session.joinUrl, className: 'join-url', id: 'join-url' }, session.joinUrl);
  const qr = h('div', { className: 'qr', role: 'img', 'aria-label': `QR code for ${session.joinUrl}` });
  QRCode.toString(session.joinUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }).then((svg) => {
    qr.innerHTML = svg;
    qr.querySelector('svg')?.setAttribute('aria-hidden', 'true');
  });
  const joinHost = new URL(session.joinUrl, location.href).hostname;
  const localOnly = joinHost === 'localhost' || joinHost.startsWith('127.') || joinHost === '[::1]';
  const localWarning = localOnly
    ? h(
        'p',
        { className: 'error', id: 'local-join-url' },
        'This link only works on this computer. So that phones can open it, start Babelcast with ',
        h('code', {}, 'BABELCAST_PUBLIC_URL=http://<this computer’s LAN address>:8080'),
        '.',
      )
    : null;
  const copy = h('button', { type: 'button' }, 'Copy link');
  copy.addEventListener('click', async () => {
    await navigator.clipboard?.writeText(session.joinUrl).catch(() => {});
    copy.textContent = 'Copied';
    setTimeout(() => {
      copy.textContent = 'Copy link';
    }, 1500);
  });

  // Microphone and controls.
  const micSelect = h('select', { id: 'microphone' }, h('option', { value: '' }, 'Default microphone'));
  const startBtn = h('button', { type: 'button', className: 'primary', id: 'start' }, 'Start');
  const pauseBtn = h('button', { type: 'button', id: 'pause', hidden: true }, 'Pause');
  const resumeBtn = h('button', { type: 'button', id: 'resume', hidden: true }, 'Resume');
  const endBtn = h('button', { type: 'button', className: 'danger', id: 'end' }, 'End session');
  const confirmEnd = h(
    'button',
    { type: 'button', className: 'danger', id: 'confirm-end', hidden: true },
    'Yes, end it for everyone',
  );
  const levelBar = h('div', { className: 'level-fill' });
  const level = h(
    'div',
    {
      className: 'level',
      role: 'meter',
      'aria-label': 'Input level',
      'aria-valuemin': -60,
      'aria-valuemax': 0,
      'aria-valuenow': -60,
    },
    levelBar,
  );
  const levelText = h('span', { className: 'level-text', id: 'level-text' }, '— dBFS');
  const warnings = h('ul', { className: 'warnings', id: 'warnings', 'aria-live': 'polite' });
  const unavailable = microphoneProblem;

  const listenersBody = h('tbody', { id: 'listeners' });
  const listenersTotal = h('p', { id: 'listeners-total' });
  const transcript = h('ol', { className: 'transcript', id: 'transcript' });
  const partialLine = h('li', { className: 'draft', id: 'partial' });

  function renderState(): void {
    stateBadge.textContent = STATE_LABEL[session.state];
    stateBadge.className = `badge state-${session.state}`;
    const capturing = mic !== null;
    const ended = session.state === 'ended';
    startBtn.hidden = capturing || ended;
    startBtn.disabled = unavailable !== null;
    pauseBtn.hidden = !capturing || paused || ended;
    resumeBtn.hidden = !capturing || !paused || ended;
    endBtn.hidden = ended;
    micSelect.disabled = ended;
  }

  function renderListeners(): void {
    const langs = new Set([
      ...session.targetLanguages,
      ...Object.keys(counts),
      ...Object.keys(textLag),
      ...Object.keys(voiceLag),
    ]);
    listenersBody.replaceChildren(
      ...[...langs].map((code) =>
        h(
          'tr',
          { 'data-lang': code },
          h('th', { scope: 'row' }, languageName(code, languages?.names)),
          h('td', { className: 'count' }, String(counts[code] ?? 0)),
          h('td', { className: 'text-lag' }, formatLag(textLag[code])),
          h('td', { className: 'voice-lag' }, formatLag(voiceLag[code])),
        ),
      ),
    );
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    listenersTotal.textContent = `${total} listener${total === 1 ? '' : 's'}`;
  }

  function onCaption(ev: CaptionEvent): void {
    if (ev.kind === 'partial') {
      partialLine.textContent = ev.text;
      partialLine.dataset.segment = String(ev.segmentId);
    } else if (ev.kind === 'final') {
      const existing = transcript.querySelector(`li[data-segment="${ev.segmentId}"]:not(#partial)`);
      if (existing) existing.textContent = ev.text;
      else if (ev.text) partialLine.before(h('li', { 'data-segment': String(ev.segmentId) }, ev.text));
      if (partialLine.dataset.segment === String(ev.segmentId)) partialLine.textContent = '';
      while (transcript.children.length > 201) transcript.firstElementChild?.remove();
    }
    transcript.scrollTop = transcript.scrollHeight;
  }

  function onStatus(status: SocketStatus, close?: CloseInfo): void {
    const s = uplink?.stats();
    const waiting = s && s.unackedMs > 0 ? ` (${(s.unackedMs / 1000).toFixed(1)} s of audio waiting)` : '';
    connBadge.textContent =
      status === 'open'
        ? 'Connected'
        : status === 'connecting'
          ? 'Connecting…'
          : status === 'reconnecting'
            ? `Reconnecting…${waiting}`
            : 'Disconnected';
    connBadge.className = `badge conn-${status}`;
    if (s && s.droppedMs > 0) {
      alert.textContent = `${(s.droppedMs / 1000).toFixed(0)} s of audio could not be delivered during the outage (more than the ${UNACKED_LIMIT_S} s the page keeps).`;
    }
    const refusal = close?.refusal?.message;
    if (status === 'reconnecting' && refusal) {
      // A full or rate-limiting server: the page tries again by itself, slowly.
      const wait = close?.retryInMs ? ` (${Math.ceil(close.retryInMs / 1000)} s)` : '';
      alert.textContent = `${labels[refusal]}${wait}`;
    }
    if (status === 'closed' && close) {
      alert.textContent = refusal
        ? labels[refusal]
        : `The server closed the connection: ${describeClose(close)}.`;
      void stopCapture();
    }
  }

  function onMessage(msg: SpeakerServerMessage): void {
    switch (msg.type) {
      case 'ready':
        session = msg.session;
        counts = msg.session.listeners;
        paused = session.state === 'paused';
        alert.textContent = '';
        break;
      case 'state':
        session = { ...session, state: msg.state };
        paused = msg.state === 'paused';
        if (msg.state === 'ended') void stopCapture();
        break;
      case 'caption':
        onCaption(msg);
        break;
      case 'listeners':
        counts = msg.counts;
        break;
      case 'lag':
        // Each message carries only the languages whose lag changed.
        Object.assign(textLag, msg.textMs);
        Object.assign(voiceLag, msg.voiceMs);
        break;
      case 'error':
        if (msg.code === ErrorCode.SESSION_PAUSED) {
          // Audio was refused, not acknowledged: the uplink dropped its backlog; stop sending
          // and offer Resume.
          paused = true;
          session = { ...session, state: 'paused' };
          alert.textContent =
            'The session is paused: your audio is not being broadcast. Press Resume to continue.';
        } else if (msg.code === ErrorCode.OVER_CAPACITY) alert.textContent = labels.overCapacity;
        else if (msg.code === ErrorCode.RATE_LIMITED) alert.textContent = labels.rateLimited;
        else alert.textContent = msg.message;
        break;
      case 'notice':
        alert.textContent = msg.message;
        break;
    }
    renderState();
    renderListeners();
  }

  function onFrame(pcm: Int16Array, peak: number, clipped: number, captureTimeMs: number): void {
    framesCaptured++;
    const f = new Float32Array(pcm.length);
    let sum = 0;
    for (let i = 0; i < pcm.length; i++) {
      f[i] = pcm[i]! / 32768;
      sum += f[i]! * f[i]!;
    }
    meter.push(f);
    meter.noteRaw(peak, clipped);
    const db = Math.max(-60, 20 * Math.log10(Math.sqrt(sum / pcm.length) || 1e-6));
    levelBar.style.width = `${((db + 60) / 60) * 100}%`;
    level.setAttribute('aria-valuenow', String(Math.round(db)));
    levelText.textContent = `${Math.round(db)} dBFS`;
    if (!paused) uplink?.sendAudio(pcm, captureTimeMs);
  }

  function reportInput(): void {
    const levels = meter.take();
    const found = inputWarnings(levels, meter.speechLevel());
    warnings.replaceChildren(...found.map((w) => h('li', { 'data-warning': w }, WARNING_TEXT[w])));
    uplink?.sendControl({ type: 'inputStats', ...levels });
  }

  function connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const u = new AudioUplink(session.id, token, {
        onStatus: (status, close) => {
          onStatus(status, close);
          if (status === 'closed' && close) reject(new Error(describeClose(close)));
        },
        onMessage: (msg) => {
          onMessage(msg);
          if (msg.type === 'ready') resolve();
        },
      });
      uplink = u;
      u.start();
    });
  }

  async function startCapture(): Promise<void> {
    alert.textContent = '';
    startBtn.disabled = true;
    try {
      if (!uplink) await connect();
      mic = await Microphone.open(micSelect.value || null, (frame, t) =>
        onFrame(frame.pcm, frame.peak, frame.clipped, t),
      );
      statsTimer = setInterval(reportInput, 1000);
      await fillMicrophones(mic.deviceId);
      if (paused) uplink?.sendControl({ type: 'resume' });
      paused = false;
    } catch (err) {
      alert.textContent = errorText(err);
    } finally {
      startBtn.disabled = false;
      renderState();
    }
  }

  async function stopCapture(): Promise<void> {
    if (statsTimer) clearInterval(statsTimer);
    statsTimer = null;
    const m = mic;
    mic = null;
    await m?.close();
    renderState();
  }

  async function fillMicrophones(selected?: string): Promise<void> {
    const devices = await listMicrophones().catch(() => []);
    const keep = selected ?? micSelect.value;
    micSelect.replaceChildren(
      h('option', { value: '' }, 'Default microphone'),
      ...devices
        .filter((d) => d.deviceId && d.deviceId !== 'default')
        .map((d) => h('option', { value: d.deviceId }, d.label)),
    );
    if ([...micSelect.options].some((o) => o.value === keep)) micSelect.value = keep ?? '';
  }

  async function control(action: 'pause' | 'resume' | 'end'): Promise<void> {
    // Over the socket when connected; over HTTP otherwise, so End works even mid-outage.
    if (!uplink?.sendControl({ type: action })) {
      try {
        const info = await api<SessionInfo>(`/api/sessions/${session.id}/${action}`, {
          method: 'POST',
          token,
        });
        if (info?.state) session = { ...session, state: info.state };
      } catch (err) {
        alert.textContent = errorText(err);
      }
    }
    if (action === 'pause') paused = true;
    if (action === 'resume') paused = false;
    if (action === 'end') {
      session = { ...session, state: 'ended' };
      await stopCapture();
      uplink?.close();
    }
    renderState();
  }

  // Closing the tab mid-talk silently stops the broadcast; make that a deliberate choice.
  window.addEventListener('beforeunload', (ev) => {
    if (mic && session.state === 'live') ev.preventDefault();
  });

  startBtn.addEventListener('click', () => void startCapture());
  pauseBtn.addEventListener('click', () => void control('pause'));
  resumeBtn.addEventListener('click', () => void control('resume'));
  endBtn.addEventListener('click', () => {
    confirmEnd.hidden = false;
    confirmEnd.focus();
    setTimeout(() => {
      confirmEnd.hidden = true;
    }, 6000);
  });
  confirmEnd.addEventListener('click', () => {
    confirmEnd.hidden = true;
    void control('end');
  });
  micSelect.addEventListener('change', async () => {
    if (!mic) return;
    await stopCapture();
    await startCapture();
  });

  hooks.speaker = {
    stats: () => ({ ...uplink?.stats(), framesCaptured, sessionId: session.id, state: session.state }),
    /** Drop the socket as a network failure would; the page must recover by itself. */
    dropConnection: () => uplink?.dropConnection(),
  };

  show(
    h(
      'header',
      { className: 'bar' },
      h('h1', {}, session.title ?? 'Untitled session'),
      stateBadge,
      connBadge,
    ),
    alert,
    h(
      'div',
      { className: 'speaker-grid' },
      h(
        'section',
        { className: 'card join', 'aria-labelledby': 'join-heading' },
        h('h2', { id: 'join-heading' }, 'Join'),
        h('p', {}, 'Listeners open this link or scan the code. No account needed.'),
        joinLink,
        localWarning,
        qr,
        copy,
      ),
      h(
        'section',
        { className: 'card', 'aria-labelledby': 'mic-heading' },
        h('h2', { id: 'mic-heading' }, 'Microphone'),
        h('label', { for: 'microphone' }, 'Input device'),
        micSelect,
        h('div', { className: 'controls' }, startBtn, pauseBtn, resumeBtn, endBtn, confirmEnd),
        h('div', { className: 'level-row' }, level, levelText),
        warnings,
      ),
      h(
        'section',
        { className: 'card', 'aria-labelledby': 'listeners-heading' },
        h('h2', { id: 'listeners-heading' }, 'Listeners'),
        listenersTotal,
        h(
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
          listenersBody,
        ),
      ),
      h(
        'section',
        { className: 'card transcript-card', 'aria-labelledby': 'transcript-heading' },
        h('h2', { id: 'transcript-heading' }, 'What the recogniser hears'),
        transcript,
      ),
    ),
  );
  transcript.append(partialLine);
  renderState();
  renderListeners();
  if (session.state !== 'ended') void fillMicrophones();
  else alert.textContent = 'This session has ended.';
}

// ---------- routing ----------

async function route(speakerName?: string): Promise<void> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return signInView();
  const sessionId = new URLSearchParams(location.search).get('session');
  try {
    if (sessionId) {
      const [session, languages] = await Promise.all([
        api<SessionInfo>(`/api/sessions/${encodeURIComponent(sessionId)}`, { token }),
        api<LanguagesResponse>('/api/languages').catch(() => null),
      ]);
      return sessionView(token, session, languages);
    }
    await setupView(token, speakerName);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      return signInView('Your token is no longer accepted. Sign in again.');
    }
    if (err instanceof ApiError && err.status === 404 && sessionId) {
      history.replaceState(null, '', '/speak');
      return setupView(token, speakerName);
    }
    show(h('h1', {}, 'Babelcast'), h('p', { className: 'error', role: 'alert' }, errorText(err)));
  }
}

void route();
