/**
 * The speaker page: sign in with a token, create a session, then speak. Shows what a presenter
 * needs at a glance: the join link and QR code for the audience, whether the microphone sounds
 * right, who is listening in which language, what the recogniser hears, and how far each
 * language's captions and voice are behind the speaker.
 *
 * This file only routes between the views: setup-views.ts (sign in, new session) and
 * session-view.ts (the live session, driven by controller.ts).
 */
import type { LanguagesResponse, SessionInfo } from '@babelcast/protocol';
import { ApiError, api } from '../shared/api.ts';
import { h } from '../shared/dom.ts';
import { labels, show, TOKEN_KEY } from './page.ts';
import { sessionView } from './session-view.ts';
import { setupView, signInView } from './setup-views.ts';
import { errorText } from './text.ts';

function signIn(message?: string): void {
  signInView((name) => void route(name), message);
}

function setup(token: string, speakerName?: string): Promise<void> {
  return setupView(token, speakerName, {
    onCreated: (session, languages) => sessionView(token, session, languages),
    onSignOut: () => signIn(),
  });
}

async function route(speakerName?: string): Promise<void> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return signIn();
  const sessionId = new URLSearchParams(location.search).get('session');
  try {
    if (sessionId) {
      const [session, languages] = await Promise.all([
        api<SessionInfo>(`/api/sessions/${encodeURIComponent(sessionId)}`, { token }),
        api<LanguagesResponse>('/api/languages').catch(() => null),
      ]);
      return sessionView(token, session, languages);
    }
    await setup(token, speakerName);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      return signIn('Your token is no longer accepted. Sign in again.');
    }
    if (err instanceof ApiError && err.status === 404 && sessionId) {
      history.replaceState(null, '', '/speak');
      return setup(token, speakerName);
    }
    show(h('h1', {}, 'Babelcast'), h('p', { className: 'error', role: 'alert' }, errorText(err, labels)));
  }
}

void route();
