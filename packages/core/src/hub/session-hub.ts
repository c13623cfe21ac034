/**
 * Per-session fan-out on a gateway: takes the pipeline's output from the bus and delivers it to
 * every listener socket, by language (captions) and by language and voice (audio: a listener gets
 * only the packets of the voice it chose, DEFAULT_VOICE_ID for the language's default). Each
 * message is serialised once and the same bytes go to every socket (per-message cost dominates
 * fan-out, not bytes).
 *
 * Slow listeners: a listener's send buffer is its queue. Audio is dropped for a listener whose
 * buffer is above `audioDropBytes` (it loses audio first, never captions); one that stays behind
 * for `stuckMs`, or whose buffer passes `maxBufferedBytes`, is disconnected with SLOW_CONSUMER and
 * may reconnect with `since` to get the captions it missed. Nothing here ever waits on a socket,
 * so one slow phone cannot delay anybody else.
 */
import {
  CloseCode,
  type CaptionEvent,
  encodeListenerAudioPacket,
  type ListenerCounts,
  type SessionState,
} from '@babelcast/protocol';
import type { MessageBus, Unsubscribe } from '../bus/bus.ts';
import {
  DEFAULT_VOICE_ID,
  DEMAND_REFRESH_MS,
  type SessionEvent,
  type SessionOutput,
  subjects,
} from '../bus/subjects.ts';

export interface ClientSink {
  /** Bytes queued in the socket but not yet handed to the kernel (ws `bufferedAmount`). */
  readonly bufferedAmount: number;
  sendText(data: string): void;
  sendBinary(data: Uint8Array): void;
  close(code: number, reason: string): void;
}

export interface HubObserver {
  listenersChanged(sessionId: string, counts: ListenerCounts): void;
  audioDropped(lang: string): void;
  slowConsumerClosed(): void;
  /** The session ended: per-session series (labelled by session id) can be dropped. */
  sessionEnded?(sessionId: string): void;
}

/** The hub's bounds, from the config's `limits` (see docs/protocol.md, slow listeners). */
export interface HubLimits {
  /** Finished captions kept for replay. */
  historySize: number;
  /** A listener's send buffer above which its audio is dropped (captions still go out). */
  audioDropBytes: number;
  /** A listener's send buffer above which it is closed with SLOW_CONSUMER. */
  maxBufferedBytes: number;
  /** A listener behind for this long is closed with SLOW_CONSUMER. */
  stuckMs: number;
  /**
   * A language keeps being produced this long after its last listener leaves, so a phone that
   * drops off for a few seconds (tunnel, Wi-Fi handover) gets the translations it missed when it
   * reconnects with `since`. After it, the language costs nothing.
   */
  demandGraceMs: number;
}

/** A voice's lag counts for the speaker's figure this long after it was reported (ms). */
export const VOICE_LAG_FRESH_MS = 10_000;

/** Listener-count broadcasts are coalesced over this window (ms): a room joining at once is one message. */
export const COUNTS_DEBOUNCE_MS = 250;

export interface SessionHubOptions extends HubLimits {
  sessionId: string;
  /** This gateway's id: the demand of its listeners goes out under it. */
  gatewayId: string;
  bus: MessageBus;
  /** The session's state when the hub is made; later changes arrive on the state subject. */
  state?: SessionState;
  observer?: HubObserver;
  /** Listener-count broadcasts are coalesced over this window (COUNTS_DEBOUNCE_MS; tests use 0). */
  countsDebounceMs: number;
  now?: () => number;
}

interface Listener {
  id: string;
  sink: ClientSink;
  language: string;
  /** The voice it hears: DEFAULT_VOICE_ID, or another voice the gateway checked the language offers. */
  voice: string;
  behindSince: number | null;
}

/** A (language, voice) pair as one key: neither languages nor voice ids contain a space. */
function voiceKey(language: string, voice: string): string {
  return `${language} ${voice}`;
}

function splitVoiceKey(key: string): [language: string, voice: string] {
  const at = key.indexOf(' ');
  return [key.slice(0, at), key.slice(at + 1)];
}

export class SessionHub {
  private readonly listeners = new Map<string, Listener>();
  /**
   * Listeners per language, kept up to date on every join/leave/switch rather than recounted:
   * a room of thousands joining at once would otherwise cost a full scan per join.
   */
  private readonly perLanguage = new Map<string, number>();
  /** Listeners per (language, voice) key (see voiceKey): what the demand is made of. */
  private readonly perVoice = new Map<string, number>();
  private readonly speakers = new Set<ClientSink>();
  private readonly history: CaptionEvent[] = [];
  private readonly unsubscribe: Unsubscribe[];
  private readonly opts: Required<Omit<SessionHubOptions, 'observer' | 'state'>> & { observer?: HubObserver };
  private demanded = '';
  /** (language, voice) keys with no listener left, still produced until their grace timer fires. */
  private readonly lingering = new Map<string, NodeJS.Timeout>();
  private heard = new Set<string>();
  private countsTimer: NodeJS.Timeout | null = null;
  private speakerLeftAt: number;
  private readonly demandTimer: NodeJS.Timeout;
  /**
   * Media end of the newest committed caption delivered, per `kind:lang`, and of the voice chunks
   * delivered per language (current and previous chunk). A worker that takes a session over
   * recognises the sentence in flight again; what listeners already got of it is not sent twice.
   */
  private readonly committedUntil = new Map<string, number>();
  private readonly voiced = new Map<string, { previousEnd: number; currentEnd: number }>();
  /** The latest voice lag of each (language, voice), for the speaker (see voiceLag). */
  private readonly voiceLags = new Map<string, { ms: number; at: number }>();
  /** A worker took over (a `resumed` event): repeats of what was delivered are dropped from now on. */
  private takenOver = false;
  private lastSeq = 0;
  private state: SessionState = 'created';
  private closed = false;

  constructor(options: SessionHubOptions) {
    this.opts = { ...options, now: options.now ?? Date.now };
    this.state = options.state ?? 'created';
    this.unsubscribe = [
      options.bus.subscribe(subjects.output(options.sessionId), (m) => this.onOutput(m)),
      options.bus.subscribe(subjects.state(options.sessionId), (m) => this.onEvent(m)),
    ];
    this.speakerLeftAt = this.opts.now();
    // Say it again now and then: a worker forgets the demand of a gateway that stopped saying it.
    this.demandTimer = setInterval(() => this.announceDemand(), DEMAND_REFRESH_MS);
    this.demandTimer.unref?.();
  }

  get seq(): number {
    return this.lastSeq;
  }

  counts(): ListenerCounts {
    return Object.fromEntries(this.perLanguage);
  }

  private count(l: Listener, delta: 1 | -1): void {
    bump(this.perLanguage, l.language, delta);
    bump(this.perVoice, voiceKey(l.language, l.voice), delta);
  }

  private forget(l: Listener): boolean {
    if (!this.listeners.delete(l.id)) return false;
    this.count(l, -1);
    return true;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** `voice`: DEFAULT_VOICE_ID, or one the language offers (the caller checks; see voiceTrackId). */
  addListener(id: string, sink: ClientSink, language: string, voice: string = DEFAULT_VOICE_ID): void {
    const previous = this.listeners.get(id);
    if (previous) this.forget(previous);
    const l: Listener = { id, sink, language, voice, behindSince: null };
    this.listeners.set(id, l);
    this.count(l, 1);
    this.listenersChanged();
  }

  /**
   * A listener left (disconnected). Its language and voice, if nobody else hears them, are still
   * produced for the grace period so the phone can come back with `since`. Switching language or
   * voice (`setLanguage`) keeps nothing alive: the grace belongs to a listener that went away, not
   * to a switch.
   */
  removeListener(id: string): void {
    const l = this.listeners.get(id);
    if (l && this.forget(l)) {
      this.linger(voiceKey(l.language, l.voice));
      this.listenersChanged();
    }
  }

  /**
   * Switch a listener's language and voice (a voice belongs to a language: a new language without
   * a voice is heard in its default one). From the return on, its audio is the new voice's.
   */
  setLanguage(id: string, language: string, voice: string = DEFAULT_VOICE_ID): void {
    const l = this.listeners.get(id);
    if (!l || (l.language === language && l.voice === voice)) return;
    this.count(l, -1);
    l.language = language;
    l.voice = voice;
    l.behindSince = null;
    this.count(l, 1);
    this.listenersChanged();
  }

  /** Speakers connected now (the current one, plus a replaced one until it closes). */
  get speakerCount(): number {
    return this.speakers.size;
  }

  /** When the last speaker left (or the hub was made without one); null while one is connected. */
  get noSpeakerSince(): number | null {
    return this.speakers.size > 0 ? null : this.speakerLeftAt;
  }

  /** Target languages the pipeline is asked to produce now: heard, or in their grace period. */
  get demandedLanguages(): string[] {
    return Object.keys(this.demandedVoices);
  }

  /** The voices of each demanded language (DEFAULT_VOICE_ID for the default), sorted. */
  get demandedVoices(): Record<string, string[]> {
    const voices: Record<string, string[]> = {};
    for (const key of [...new Set([...this.heard, ...this.lingering.keys()])].sort()) {
      const [lang, voice] = splitVoiceKey(key);
      const list = voices[lang] ?? [];
      list.push(voice);
      voices[lang] = list;
    }
    return voices;
  }

  /**
   * History from before this hub existed (after a restart, from the store), oldest first. Later
   * captions are appended after it as usual.
   */
  seedHistory(events: CaptionEvent[]): void {
    const seeded = events.filter((ev) => ev.kind !== 'partial').slice(-this.opts.historySize);
    this.history.unshift(...seeded);
    if (this.history.length > this.opts.historySize)
      this.history.splice(0, this.history.length - this.opts.historySize);
    for (const ev of seeded) this.lastSeq = Math.max(this.lastSeq, ev.seq);
  }

  /** The seq of the newest history event emitted before `time` (0 if none): replay after it starts at `time`. */
  seqBefore(time: number): number {
    let seq = 0;
    for (const ev of this.history) if (ev.emittedAt < time) seq = Math.max(seq, ev.seq);
    return seq;
  }

  addSpeaker(sink: ClientSink): void {
    this.speakers.add(sink);
    sink.sendText(JSON.stringify(this.countsMessage()));
  }

  removeSpeaker(sink: ClientSink): void {
    if (this.speakers.delete(sink) && this.speakers.size === 0) this.speakerLeftAt = this.opts.now();
  }

  /**
   * Send finished captions after `since` that this listener's language shows, marked as replay;
   * with `limit`, only the most recent ones (a fresh join needs context, not the whole talk).
   */
  replay(id: string, since: number, limit?: number): void {
    const l = this.listeners.get(id);
    if (!l) return;
    let events = this.history.filter((ev) => ev.seq > since && this.wants(l.language, ev));
    if (limit !== undefined) events = events.slice(Math.max(0, events.length - limit));
    for (const ev of events) {
      // A replay never queues more than a live caption may: past the limit the listener is too slow.
      if (l.sink.bufferedAmount > this.opts.maxBufferedBytes) {
        this.disconnectSlow(l);
        return;
      }
      l.sink.sendText(JSON.stringify({ ...ev, replay: true }));
    }
  }

  close(code: number = CloseCode.NORMAL, reason = 'session ended'): void {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe) u();
    clearInterval(this.demandTimer);
    if (this.countsTimer) clearTimeout(this.countsTimer);
    for (const t of this.lingering.values()) clearTimeout(t);
    this.lingering.clear();
    for (const l of this.listeners.values()) l.sink.close(code, reason);
    this.listeners.clear();
    this.perLanguage.clear();
    this.perVoice.clear();
    this.speakers.clear();
  }

  private wants(language: string, ev: CaptionEvent): boolean {
    // Source text (partial/final) goes to everyone: it is the draft line under the translation.
    return ev.kind !== 'translation' || ev.lang === language;
  }

  private onOutput(message: SessionOutput): void {
    if (this.closed) return;
    this.deliver(message);
  }

  /** The session's state goes to everyone; `ended` closes every socket. Backlog is the speaker socket's. */
  private onEvent(event: SessionEvent): void {
    if (this.closed) return;
    if (event.type === 'ended') {
      this.close(CloseCode.SESSION_ENDED, 'the session has ended');
      return;
    }
    if (event.type === 'resumed') {
      this.takenOver = true;
      return;
    }
    if (event.type !== 'state') return;
    this.state = event.state;
    const text = JSON.stringify({ type: 'state', state: event.state });
    for (const l of this.listeners.values()) l.sink.sendText(text);
    for (const s of this.speakers) s.sendText(text);
  }

  private deliver(out: SessionOutput): void {
    switch (out.type) {
      case 'caption': {
        const ev = out.event;
        if (ev.kind !== 'partial' && this.alreadyDelivered(`${ev.kind}:${ev.lang}`, ev.mediaEndMs)) return;
        this.lastSeq = Math.max(this.lastSeq, ev.seq);
        if (ev.kind !== 'partial') {
          this.history.push(ev);
          if (this.history.length > this.opts.historySize) this.history.shift();
        }
        const text = JSON.stringify(ev);
        for (const l of this.listeners.values()) if (this.wants(l.language, ev)) this.sendCaption(l, text);
        if (ev.kind !== 'translation') for (const s of this.speakers) s.sendText(text);
        return;
      }
      case 'audio': {
        const { packet } = out;
        const voice = packet.voice ?? DEFAULT_VOICE_ID;
        if (this.alreadyVoiced(voiceKey(packet.language, voice), packet.mediaEndMs)) return;
        this.lastSeq = Math.max(this.lastSeq, packet.seq);
        let bytes: Uint8Array | null = null;
        for (const l of this.listeners.values()) {
          if (l.language !== packet.language || l.voice !== voice) continue;
          // Listeners get the packet as they always did: which voice it is, they know.
          bytes ??= encodeListenerAudioPacket(voice ? { ...packet, voice: undefined } : packet);
          this.sendAudio(l, bytes);
        }
        return;
      }
      case 'notice': {
        const text = JSON.stringify(out.notice);
        const { lang } = out.notice;
        for (const l of this.listeners.values()) {
          if (lang && lang !== l.language) continue;
          if (out.voice !== undefined && out.voice !== l.voice) continue;
          l.sink.sendText(text);
        }
        for (const s of this.speakers) s.sendText(text);
        return;
      }
      case 'draft': {
        // Drafts are transient: never kept in history, never replayed, dropped for a listener
        // whose buffer is already behind (the next draft or the committed caption supersedes it).
        const ev = out.event;
        this.lastSeq = Math.max(this.lastSeq, ev.seq);
        const text = JSON.stringify(ev);
        for (const l of this.listeners.values()) {
          if (l.language !== ev.lang) continue;
          if (l.sink.bufferedAmount > this.opts.audioDropBytes) continue;
          l.sink.sendText(text);
        }
        return;
      }
      case 'lag': {
        const voiceMs =
          out.voiceMs === undefined ? undefined : this.voiceLag(out.lang, out.voice, out.voiceMs);
        const text = JSON.stringify({
          type: 'lag',
          textMs: out.textMs === undefined ? {} : { [out.lang]: Math.round(out.textMs) },
          voiceMs: voiceMs === undefined ? {} : { [out.lang]: Math.round(voiceMs) },
        });
        for (const s of this.speakers) s.sendText(text);
        return;
      }
    }
  }

  /**
   * The speaker sees one voice lag per language: with several voices, the furthest behind of those
   * that reported in the last VOICE_LAG_FRESH_MS (a voice nobody hears any more stops reporting).
   */
  private voiceLag(lang: string, voice: string | undefined, ms: number): number {
    const now = this.opts.now();
    this.voiceLags.set(voiceKey(lang, voice ?? DEFAULT_VOICE_ID), { ms, at: now });
    let furthest = ms;
    for (const [key, lag] of this.voiceLags) {
      if (now - lag.at > VOICE_LAG_FRESH_MS) this.voiceLags.delete(key);
      else if (splitVoiceKey(key)[0] === lang) furthest = Math.max(furthest, lag.ms);
    }
    return furthest;
  }

  /** A committed caption whose media ends before one already delivered is a takeover's repeat. */
  private alreadyDelivered(key: string, mediaEndMs: number): boolean {
    if (!(mediaEndMs > 0)) return false;
    const until = this.committedUntil.get(key) ?? 0;
    if (mediaEndMs <= until) return this.takenOver;
    this.committedUntil.set(key, mediaEndMs);
    return false;
  }

  /**
   * Voice packets of a chunk share its media span; one of a chunk before the current one is a
   * repeat. Per (language, voice): each voice is its own track, at its own pace.
   */
  private alreadyVoiced(key: string, mediaEndMs: number | undefined): boolean {
    if (mediaEndMs === undefined || !(mediaEndMs > 0)) return false;
    const v = this.voiced.get(key);
    if (!v) {
      this.voiced.set(key, { previousEnd: 0, currentEnd: mediaEndMs });
      return false;
    }
    if (mediaEndMs > v.currentEnd) {
      v.previousEnd = v.currentEnd;
      v.currentEnd = mediaEndMs;
      return false;
    }
    return this.takenOver && mediaEndMs <= v.previousEnd;
  }

  private sendCaption(l: Listener, text: string): void {
    if (l.sink.bufferedAmount > this.opts.maxBufferedBytes) {
      this.disconnectSlow(l);
      return;
    }
    l.sink.sendText(text);
  }

  private sendAudio(l: Listener, bytes: Uint8Array): void {
    const now = this.opts.now();
    if (l.sink.bufferedAmount > this.opts.audioDropBytes) {
      this.opts.observer?.audioDropped(l.language);
      l.behindSince ??= now;
      if (now - l.behindSince > this.opts.stuckMs) this.disconnectSlow(l);
      return;
    }
    l.behindSince = null;
    l.sink.sendBinary(bytes);
  }

  private disconnectSlow(l: Listener): void {
    this.opts.observer?.slowConsumerClosed();
    if (this.forget(l)) this.linger(voiceKey(l.language, l.voice));
    l.sink.close(CloseCode.SLOW_CONSUMER, 'listener too slow; reconnect with since=<last seq> to catch up');
    this.listenersChanged();
  }

  private countsMessage() {
    const counts = this.counts();
    return { type: 'listeners' as const, counts, total: this.listeners.size };
  }

  private listenersChanged(): void {
    const counts = this.counts();
    this.opts.observer?.listenersChanged(this.opts.sessionId, counts);
    this.updateDemand(new Set(this.perVoice.keys()));
    if (this.countsTimer || this.closed) return;
    this.countsTimer = setTimeout(() => {
      this.countsTimer = null;
      if (this.closed) return;
      const text = JSON.stringify(this.countsMessage());
      for (const l of this.listeners.values()) l.sink.sendText(text);
      for (const s of this.speakers) s.sendText(text);
    }, this.opts.countsDebounceMs);
    this.countsTimer.unref?.();
  }

  /** Announce the demand again (refresh: a worker drops a gateway's demand that goes stale). */
  private announceDemand(): void {
    if (!this.demanded) return;
    this.demanded = '';
    this.updateDemand(this.heard);
  }

  /**
   * A departed listener's language and voice (a voiceKey), heard by nobody now, stay demanded for
   * the grace period.
   */
  private linger(key: string): void {
    if (this.closed || this.perVoice.has(key) || this.opts.demandGraceMs <= 0) return;
    clearTimeout(this.lingering.get(key));
    const timer = setTimeout(() => {
      this.lingering.delete(key);
      this.updateDemand(this.heard);
    }, this.opts.demandGraceMs);
    timer.unref?.();
    this.lingering.set(key, timer);
  }

  /**
   * Tell the pipeline which languages and voices to produce: those heard now (`current`, voiceKeys),
   * and those a departed listener left behind, until their grace ends. A new language or voice is
   * announced at once (it is produced from the very next sentence); one nobody hears any more,
   * because its listeners switched away, is dropped at once. `languages` alone is what a worker
   * older than voices reads.
   */
  private updateDemand(current: Set<string>): void {
    if (this.closed) return;
    for (const key of current) {
      const timer = this.lingering.get(key);
      if (timer) clearTimeout(timer);
      this.lingering.delete(key);
    }
    this.heard = current;
    const voices = this.demandedVoices;
    const languages = Object.keys(voices).sort();
    // '' for none: nothing to refresh (see announceDemand).
    const key = languages.length > 0 ? JSON.stringify(voices) : '';
    if (key === this.demanded) return;
    this.demanded = key;
    this.opts.bus.publish(subjects.demand(this.opts.sessionId, this.opts.gatewayId), {
      type: 'demand',
      languages,
      voices,
      gateway: this.opts.gatewayId,
      at: Date.now(),
    });
  }
}

function bump(counts: Map<string, number>, key: string, delta: 1 | -1): void {
  const n = (counts.get(key) ?? 0) + delta;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}
