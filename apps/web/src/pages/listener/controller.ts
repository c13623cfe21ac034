/**
 * What the listener page does, without its DOM: the socket (hello, resume after the last seq on
 * a reconnect), captions into the caption model, voice packets to the player, language switches
 * (a refused one goes back to the language the server confirmed), the choice of voice where a
 * language has several, and what the page should say.
 * The views read its state when it says something changed; tests drive it with a fake socket.
 */
import {
  type CaptionEvent,
  type DraftEvent,
  decodeListenerAudioPacket,
  ErrorCode,
  type ListenerAudioPacket,
  type ListenerServerMessage,
  PROTOCOL_VERSION,
  type PublicSessionInfo as SessionInfo,
  type SessionState,
} from '@babelcast/protocol';
import type { api } from '../shared/api.ts';
import { CaptionModel, type LineChange } from '../shared/caption-model.ts';
import { type Dictionary, dictionaryFor, type MessageKey } from '../shared/i18n.ts';
import {
  type CloseInfo,
  describeClose,
  type ReconnectingSocketHandlers,
  type SocketStatus,
} from '../shared/reconnecting-socket.ts';

/** The voice-skipped notice is news, not a state: it goes away by itself. */
export const VOICE_NOTICE_MS = 5000;

/** The parts of ReconnectingSocket the controller uses. */
export interface ListenerSocket {
  start(): void;
  stop(): void;
  sendJson(msg: object): boolean;
  markHealthy(): void;
  readonly reconnects: number;
}

/** The parts of AudioPlayer the controller uses. */
export interface ListenerPlayer {
  readonly unlocked: boolean;
  push(packet: ListenerAudioPacket): void;
  reset(): void;
}

export interface ListenerDeps {
  /** A reconnecting socket to the path (`/ws/listener?…`) that `path()` gives at each attempt. */
  openSocket(path: () => string, handlers: ReconnectingSocketHandlers): ListenerSocket;
  player: ListenerPlayer;
  api: typeof api;
  /** Keep the chosen language for the next visit. */
  rememberLanguage(code: string): void;
  /** Voices per language, the default first (`GET /api/languages` voices); absent: no choice. */
  voices?: Record<string, string[]>;
  /** The voice chosen for a language on an earlier visit or before a switch, and keeping one. */
  voicePreference?: { get(language: string): string | null; set(language: string, voice: string): void };
}

export interface ListenerEvents {
  /** Status, notices or the language list changed. */
  changed(): void;
  /** A caption line changed; `committed` is the text it just committed (to be announced). */
  caption(change: LineChange, replayed: boolean): void;
  /** The reader's language changed: every line and label is redrawn. */
  languageChanged(): void;
}

/** The languages the picker offers; `placeholder`: none is chosen (the last one was refused). */
export interface LanguageChoices {
  codes: string[];
  placeholder: boolean;
}

export class ListenerController {
  session: SessionInfo;
  language: string;
  /** The labels, in the reader's language. */
  t: Dictionary;
  status: SocketStatus = 'connecting';
  /** The alert line; '' for none. */
  notice = '';
  /** Shown briefly when the server skipped part of the voice (only to someone listening). */
  voiceSkipped = false;
  choices: LanguageChoices;
  /**
   * The voice chosen for the current language, as the server confirmed it (its default's id when
   * none was chosen); null when the server named none.
   */
  voice: string | null = null;
  readonly model: CaptionModel;
  /** Highest event seq seen (captions and audio share the space): reconnects resume after it. */
  lastSeq = -1;
  private readonly socket: ListenerSocket;
  /** The language the server last confirmed: a refused switch goes back to it. */
  private confirmedLanguage: string | null = null;
  private closeInfo: CloseInfo | null = null;
  private voiceTimer: ReturnType<typeof setTimeout> | null = null;
  /** The voice the server last confirmed: a refused voice switch goes back to it. */
  private confirmedVoice: string | null = null;
  /** A voice switch is on its way: packets before the server's `languageChanged` are the old voice's. */
  private voiceSwitching = false;

  constructor(
    initial: SessionInfo,
    initialLanguage: string,
    private readonly deps: ListenerDeps,
    private readonly events: ListenerEvents,
  ) {
    this.session = initial;
    this.language = initialLanguage;
    this.t = dictionaryFor(initialLanguage).t;
    this.model = new CaptionModel(initialLanguage, initial.sourceLanguage);
    this.choices = this.offered();
    this.socket = deps.openSocket(() => this.socketPath(), {
      onOpen: () => this.socket.sendJson({ type: 'hello', protocol: PROTOCOL_VERSION }),
      onMessage: (msg) => this.onMessage(msg as unknown as ListenerServerMessage),
      onBinary: (data) => this.onAudio(data),
      onStatus: (s, close) => this.onStatus(s, close),
    });
  }

  start(): void {
    this.socket.start();
  }

  get reconnects(): number {
    return this.socket.reconnects;
  }

  /** What the live indicator says, and whether it shows as live. */
  liveStatus(): { text: string; on: boolean } {
    const t = this.t;
    if (this.status === 'closed' && this.closeInfo) return { text: t.connectionLost, on: false };
    if (this.status === 'connecting') return { text: t.connecting, on: false };
    if (this.status === 'reconnecting') return { text: t.reconnecting, on: false };
    const byState: Record<SessionState, string> = {
      created: t.waiting,
      live: t.live,
      paused: t.paused,
      ended: t.ended,
    };
    return { text: byState[this.session.state], on: this.session.state === 'live' };
  }

  /** Show one of the page's own messages in the alert line (e.g. audio cannot play here). */
  say(key: MessageKey): void {
    this.notice = this.t[key];
    this.events.changed();
  }

  /**
   * The voices the reader may choose between for the current language: the catalogue's, when it
   * has more than one (none for the session's own language: listeners hear the speaker).
   */
  voiceChoices(): string[] {
    if (this.language === this.session.sourceLanguage) return [];
    const voices = this.deps.voices?.[this.language] ?? [];
    return voices.length > 1 ? voices : [];
  }

  /** Another voice for the current language: remembered, sent, and the old voice's audio dropped. */
  setVoice(voice: string): void {
    if (!this.voiceChoices().includes(voice) || voice === this.voice) return;
    this.voice = voice;
    this.deps.voicePreference?.set(this.language, voice);
    this.deps.player.reset();
    this.voiceSkipped = false;
    // Captions stay: the language is the same. The server confirms with `languageChanged`.
    if (this.socket.sendJson({ type: 'setLanguage', targetLanguage: this.language, voice }))
      this.voiceSwitching = true;
    this.events.changed();
  }

  /** The remembered voice for the current language, if it still has it. */
  private preferredVoice(): string | null {
    const voice = this.deps.voicePreference?.get(this.language) ?? null;
    return voice && this.voiceChoices().includes(voice) ? voice : null;
  }

  /** Switch the reader's language; `tellServer` false when the server already switched it. */
  setLanguage(code: string, tellServer: boolean): void {
    this.language = code;
    // A voice belongs to a language: the new one's remembered voice, else its default.
    this.voice = this.preferredVoice();
    this.t = dictionaryFor(code).t;
    this.deps.rememberLanguage(code);
    this.model.switchLanguage(code);
    this.deps.player.reset();
    this.voiceSkipped = false;
    this.choices = this.offered();
    this.events.languageChanged();
    if (!tellServer) return;
    // Closed because the last language was refused: connect again with this one.
    if (this.status === 'closed' && this.closeInfo?.refusal?.action === 'chooseLanguage') {
      this.closeInfo = null;
      this.notice = '';
      this.socket.start();
    } else {
      const { voice } = this;
      if (this.socket.sendJson({ type: 'setLanguage', targetLanguage: code, ...(voice && { voice }) }))
        this.voiceSwitching = true;
    }
    this.events.changed();
  }

  private socketPath(): string {
    const q = new URLSearchParams({ session: this.session.id, targetLanguage: this.language });
    if (this.lastSeq >= 0) q.set('since', String(this.lastSeq));
    // No voice to choose from: none named, the language's default speaks (as for older pages).
    const voice = this.voice && this.voiceChoices().includes(this.voice) ? this.voice : this.preferredVoice();
    if (voice) q.set('voice', voice);
    return `/ws/listener?${q}`;
  }

  /** The session's offered languages, and the reader's own even if it is not (yet) among them. */
  private offered(): LanguageChoices {
    const targets = this.session.targetLanguages;
    const codes = targets.includes(this.language) ? [...targets] : [...targets, this.language];
    return { codes, placeholder: false };
  }

  private onMessage(msg: ListenerServerMessage): void {
    switch (msg.type) {
      case 'welcome':
        this.session = msg.session;
        this.socket.markHealthy();
        this.notice = '';
        this.confirmedLanguage = msg.targetLanguage;
        if (msg.targetLanguage !== this.language) this.setLanguage(msg.targetLanguage, false);
        else this.choices = this.offered();
        this.confirmVoice(msg.voice);
        break;
      case 'caption':
      case 'draft':
        this.onCaptionOrDraft(msg);
        break;
      case 'state':
        this.session = { ...this.session, state: msg.state };
        if (msg.state === 'ended') this.socket.stop();
        break;
      case 'languageChanged':
        this.confirmedLanguage = msg.targetLanguage;
        if (msg.targetLanguage !== this.language) this.setLanguage(msg.targetLanguage, false);
        this.confirmVoice(msg.voice);
        break;
      case 'notice':
        if (msg.code !== ErrorCode.VOICE_SKIPPED) this.notice = msg.message;
        else if (!msg.lang || msg.lang === this.language) this.showVoiceSkipped();
        break;
      case 'error':
        this.onError(msg.code, msg.message);
        break;
    }
    this.events.changed();
  }

  /** The server says which voice speaks now: every packet from here on is that voice's. */
  private confirmVoice(voice: string | undefined): void {
    this.voiceSwitching = false;
    this.confirmedVoice = voice ?? null;
    this.voice = voice ?? null;
  }

  private onCaptionOrDraft(ev: CaptionEvent | DraftEvent): void {
    this.lastSeq = Math.max(this.lastSeq, ev.seq);
    const change = this.model.apply(ev);
    // Replayed history was already said, or is too old to be worth saying now.
    if (change) this.events.caption(change, ev.type === 'caption' && ev.replay === true);
  }

  /** An `error` on an open socket: a refused switch keeps the language the server confirmed. */
  private onError(code: string, message: string): void {
    // Whatever was refused or dropped, no confirmation of a switch is coming.
    this.voiceSwitching = false;
    const key = errorMessageKey(code);
    if (!key) {
      this.notice = message;
      return;
    }
    if (key === 'unsupportedVoice') {
      // The voice stays the one the server confirmed (a join with an unknown voice gets the default).
      this.voice = this.confirmedVoice;
      this.notice = this.t[key];
      return;
    }
    // A dropped message changes nothing; a refused language or a full node keeps the old language.
    if (key !== 'rateLimited' && this.confirmedLanguage && this.confirmedLanguage !== this.language)
      this.setLanguage(this.confirmedLanguage, false);
    this.notice = this.t[key];
  }

  private showVoiceSkipped(): void {
    // Only someone listening hears the jump; to a reader the notice would be noise.
    if (!this.deps.player.unlocked) return;
    this.voiceSkipped = true;
    if (this.voiceTimer) clearTimeout(this.voiceTimer);
    this.voiceTimer = setTimeout(() => {
      this.voiceSkipped = false;
      this.events.changed();
    }, VOICE_NOTICE_MS);
  }

  private onAudio(data: Uint8Array): void {
    let packet: ListenerAudioPacket;
    try {
      packet = decodeListenerAudioPacket(data);
    } catch {
      return;
    }
    this.lastSeq = Math.max(this.lastSeq, packet.seq);
    // Packets still in flight from the previous language or voice after a switch.
    if (packet.language !== this.language || this.voiceSwitching) return;
    this.deps.player.push(packet);
  }

  private onStatus(status: SocketStatus, close?: CloseInfo): void {
    this.status = status;
    if (status === 'closed' && close) {
      this.closeInfo = close;
      const key = close.refusal?.message;
      this.notice = key ? this.t[key] : `${this.t.connectionLost} ${describeClose(close)}`;
      if (close.refusal?.action === 'chooseLanguage') void this.refreshOffered();
    } else if (status === 'reconnecting' && close?.refusal?.message) {
      // A full or rate-limiting server: say so while the page waits to try again.
      this.notice = this.t[close.refusal.message];
    }
    this.events.changed();
  }

  /** After a language was refused: the list becomes what the session offers now. */
  private async refreshOffered(): Promise<void> {
    try {
      this.session = await this.deps.api<SessionInfo>(`/api/sessions/${encodeURIComponent(this.session.id)}`);
    } catch {
      return;
    }
    const codes = this.session.targetLanguages.filter((code) => code !== this.language);
    this.choices = { codes, placeholder: true };
    this.events.changed();
  }
}

function errorMessageKey(code: string): MessageKey | null {
  if (code === ErrorCode.RATE_LIMITED) return 'rateLimited';
  if (code === ErrorCode.OVER_CAPACITY) return 'overCapacity';
  if (code === ErrorCode.UNSUPPORTED_VOICE) return 'unsupportedVoice';
  if (
    code === ErrorCode.LANGUAGE_NOT_OFFERED ||
    code === ErrorCode.UNSUPPORTED_PAIR ||
    code === ErrorCode.UNSUPPORTED_LANGUAGE
  )
    return 'unsupportedLanguage';
  return null;
}
