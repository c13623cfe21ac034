/** Before the session: sign in with a token, then create a session. */
import type { LanguagesResponse, SessionInfo } from '@babelcast/protocol';
import { ApiError, api } from '../shared/api.ts';
import { h } from '../shared/dom.ts';
import { defaultTargets, maxLanguagesPerSession, targetsFor } from '../shared/offered-languages.ts';
import { labels, show, TOKEN_KEY } from './page.ts';
import { errorText, languageName } from './text.ts';

export function signInView(onSignedIn: (speakerName: string) => void, message?: string): void {
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
      onSignedIn(me.speaker.name);
    } catch (err) {
      error.textContent =
        err instanceof ApiError && err.status === 401
          ? 'That token was not accepted.'
          : errorText(err, labels);
    }
  });
  show(h('h1', {}, 'Babelcast'), h('p', {}, 'Sign in to start a live translated session.'), form);
  input.focus();
}

interface TargetsField {
  readonly element: HTMLFieldSetElement;
  /** The checked languages; null when every offered one is checked and the server sets no limit. */
  chosen(): string[] | null;
}

/** Which languages listeners may choose: each one costs the server while someone hears it. */
function targetsField(languages: LanguagesResponse, source: HTMLSelectElement): TargetsField {
  const limit = maxLanguagesPerSession(languages);
  const box = h('div', { className: 'targets', id: 'target-languages' });
  const hint = h('p', { className: 'hint', id: 'targets-hint' });
  const element = h(
    'fieldset',
    { className: 'targets-field' },
    h('legend', {}, 'Languages to offer listeners'),
    box,
    hint,
  );
  const boxes = (): HTMLInputElement[] => [...box.querySelectorAll<HTMLInputElement>('input')];
  function enforceLimit(): void {
    if (limit === null) return;
    const full = boxes().filter((b) => b.checked).length >= limit;
    for (const b of boxes()) b.disabled = full && !b.checked;
  }
  function fill(): void {
    const codes = targetsFor(languages, source.value);
    const initial = defaultTargets(codes, limit);
    box.replaceChildren(
      ...codes.map((code) => {
        const id = `target-${code}`;
        const input = h('input', { type: 'checkbox', id, value: code, checked: initial.includes(code) });
        input.addEventListener('change', enforceLimit);
        return h('label', { className: 'check', for: id }, input, ` ${languageName(code, languages.names)}`);
      }),
    );
    element.hidden = codes.length === 0;
    hint.textContent = limit === null ? '' : `At most ${limit} on this server.`;
    enforceLimit();
  }
  source.addEventListener('change', fill);
  fill();
  return {
    element,
    chosen() {
      if (boxes().length === 0) return null;
      const checked = boxes()
        .filter((b) => b.checked)
        .map((b) => b.value);
      // All of them, as offered: leave the choice to the server, whose default is every served
      // language up to its limit (which GET /api/languages may not tell), so nothing is refused.
      return checked.length === boxes().length && limit === null ? null : checked;
    },
  };
}

export interface SetupNavigation {
  onCreated(session: SessionInfo, languages: LanguagesResponse): void;
  onSignOut(): void;
}

export async function setupView(token: string, speakerName: string | undefined, nav: SetupNavigation) {
  const languages = await api<LanguagesResponse>('/api/languages');
  const select = h('select', { id: 'source-language' });
  for (const code of languages.sources)
    select.append(h('option', { value: code }, languageName(code, languages.names)));
  const prefer = navigator.language.split('-')[0];
  if (prefer && languages.sources.includes(prefer)) select.value = prefer;
  const title = h('input', { id: 'title', type: 'text', maxlength: 200, autocomplete: 'off' });
  const error = h('p', { className: 'error', role: 'alert' });
  const targets = targetsField(languages, select);
  const form = h(
    'form',
    { className: 'card' },
    h('label', { for: 'source-language' }, 'Language you will speak'),
    select,
    targets.element,
    h('label', { for: 'title' }, 'Title (optional)'),
    title,
    h('button', { type: 'submit', className: 'primary' }, 'Create session'),
    error,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const chosen = targets.chosen();
    if (chosen?.length === 0) {
      error.textContent = 'Choose at least one language to offer.';
      return;
    }
    try {
      const body = {
        sourceLanguage: select.value,
        ...(title.value.trim() ? { title: title.value.trim() } : {}),
        ...(chosen ? { targetLanguages: chosen } : {}),
      };
      const session = await api<SessionInfo>('/api/sessions', { method: 'POST', token, body });
      history.replaceState(null, '', `/speak?session=${encodeURIComponent(session.id)}`);
      nav.onCreated(session, languages);
    } catch (err) {
      error.textContent = errorText(err, labels);
    }
  });
  const signOut = h('button', { type: 'button', className: 'link' }, 'Sign out');
  signOut.addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    nav.onSignOut();
  });
  show(
    h('h1', {}, 'New session'),
    h('p', {}, speakerName ? `Signed in as ${speakerName}. ` : '', signOut),
    form,
  );
}
