/**
 * The listener page, opened from the join link or QR code on a phone: pick a language, read the
 * captions, tap to hear the translated speech. No account. Its labels follow the chosen language.
 *
 * This file finds the session and the reader's language, then joins controller.ts (socket,
 * captions, language switches) to the views (view.ts, caption-view.ts).
 */
import type { LanguagesResponse, PublicSessionInfo as SessionInfo } from '@babelcast/protocol';
import { ApiError, api, wsUrl } from '../shared/api.ts';
import { byId, h, testHooks } from '../shared/dom.ts';
import { dictionaryFor, pickInitialLanguage } from '../shared/i18n.ts';
import { ReconnectingSocket } from '../shared/reconnecting-socket.ts';
import { refusalForHttp } from '../shared/refusals.ts';
import { AudioPlayer } from './audio-player.ts';
import { CaptionView } from './caption-view.ts';
import { ListenerController } from './controller.ts';
import type { DecoderKind } from './decoders.ts';
import { LANG_KEY, store, stored, voicePreference } from './preferences.ts';
import { type ListenerView, listenerView } from './view.ts';

const app = byId('app');
const params = new URLSearchParams(location.search);
const sessionId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');

function fatalView(text: string): void {
  app.replaceChildren(h('h1', {}, 'Babelcast'), h('p', { className: 'error', role: 'alert' }, text));
}

/** The session, asked again (slowly) while the server is full or rate-limiting; null: said why not. */
async function loadSession(): Promise<SessionInfo | null> {
  const browserLabels = dictionaryFor(navigator.language).t;
  for (let attempt = 0; ; attempt++) {
    try {
      return await api<SessionInfo>(`/api/sessions/${encodeURIComponent(sessionId)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        fatalView(browserLabels.notFound);
        return null;
      }
      const refusal = err instanceof ApiError ? refusalForHttp(err.status, err.code) : null;
      if (!refusal?.message) {
        fatalView(err instanceof Error ? err.message : String(err));
        return null;
      }
      fatalView(browserLabels[refusal.message]);
      if (refusal.action !== 'retry') return null;
      await new Promise((r) => setTimeout(r, refusal.delayMs(attempt)));
    }
  }
}

/** Voices per language, for the voice picker; none (no picker) if the server does not say. */
async function loadVoices(): Promise<Record<string, string[]>> {
  try {
    return (await api<LanguagesResponse>('/api/languages')).voices ?? {};
  } catch {
    return {};
  }
}

function join(session: SessionInfo, language: string, voices: Record<string, string[]>): void {
  const player = new AudioPlayer((params.get('decoder') as DecoderKind | null) ?? null);
  let view: ListenerView | null = null;
  const controller = new ListenerController(
    session,
    language,
    {
      openSocket: (path, handlers) => new ReconnectingSocket(() => wsUrl(path()), handlers),
      player,
      api,
      rememberLanguage: (code) => store(LANG_KEY, code),
      voices,
      voicePreference,
    },
    {
      changed: () => view?.render(),
      caption: (change, replayed) => captions.render(change.segmentId, replayed ? '' : change.committed),
      languageChanged: () => {
        captions.renderAll();
        view?.applyLabels();
      },
    },
  );
  const captions = new CaptionView(controller.model);
  view = listenerView(app, controller, player, captions);
  testHooks().listener = {
    stats: () => ({
      status: controller.status,
      language: controller.language,
      voice: controller.voice,
      lastSeq: controller.lastSeq,
      reconnects: controller.reconnects,
      lines: controller.model.lines(),
      player: player.stats(),
    }),
  };
  view.applyLabels();
  controller.start();
}

async function main(): Promise<void> {
  const voices = loadVoices();
  const session = await loadSession();
  if (!session) return;
  const language =
    pickInitialLanguage(
      session.targetLanguages,
      [params.get('lang'), stored(LANG_KEY)],
      navigator.languages,
    ) ?? session.sourceLanguage;
  join(session, language, await voices);
}

void main();
