/**
 * Per-session fan-out on a gateway: takes the pipeline's output from the bus and delivers it to
 * every listener socket, by language. Each message is serialised once and the same bytes go to
 * every socket (per-message cost dominates fan-out, not bytes).
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
import { DEMAND_REFRESH_MS, type SessionEvent, type SessionOutput, subjects } from '../bus/subjects.ts';

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
  behindSince: number | null;
}

export class SessionHub {
  private readonly listeners = new Map<string, Listener>();
  /**
   * Listeners per language, kept up to date on every join/leave/switch rather than recounted:
   * a room of thousands joining at once would otherwise cost a full scan per join.
   */
  private readonly perLanguage = new Map<string, number>();
  private readonly speakers = new Set<ClientSink>();
  private readonly history: CaptionEvent[] = [];
  private readonly unsubscribe: Unsubscribe[];
  private readonly opts: Required<Omit<SessionHubOptions, 'observer' | 'state'>> & { observer?: HubObserver };
  private demanded = '';
  /** Languages with no listener left, still produced until their grace timer fires. */
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

  private count(language: string, delta: 1 | -1): void {
    const n = (this.perLanguage.get(language) ?? 0) + delta;
    if (n > 0) this.perLanguage.set(language, n);
    else this.perLanguage.delete(language);
  }

  private forget(l: Listener): boolean {
    if (!this.listeners.delete(l.id)) return false;
    this.count(l.language, -1);
    return true;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  addListener(id: string, sink: ClientSink, language: string): void {
    const previous = this.listeners.get(id);
    if (previous) this.forget(previous);
    this.listeners.set(id, { id, sink, language, behindSince: null });
    this.count(language, 1);
    this.listenersChanged();
  }

  /**
   * A listener left (disconnected). Its language, if nobody else hears it, is still produced for
   * the grace period so the phone can come back with `since`. Switching language (`setLanguage`)
   * keeps nothing alive: the grace belongs to a listener that went away, not to a switch.
   */
  removeListener(id: string): void {
    const l = this.listeners.get(id);
    if (l && this.forget(l)) {
      this.linger(l.language);
      this.listenersChanged();
    }
  }

  setLanguage(id: string, language: string): void {
    const l = this.listeners.get(id);
    if (!l || l.language === language) return;
    this.count(l.language, -1);
    l.language = language;
    this.count(language, 1);
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
    return this.demanded ? this.demanded.split(',') : [];
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
        if (this.alreadyVoiced(out.packet.language, out.packet.mediaEndMs)) return;
        this.lastSeq = Math.max(this.lastSeq, out.packet.seq);
        let bytes: Uint8Array | null = null;
        for (const l of this.listeners.values()) {
          if (l.language !== out.packet.language) continue;
          bytes ??= encodeListenerAudioPacket(out.packet);
          this.sendAudio(l, bytes);
        }
        return;
      }
      case 'notice': {
        const text = JSON.stringify(out.notice);
        for (const l of this.listeners.values())
          if (!out.notice.lang || out.notice.lang === l.language) l.sink.sendText(text);
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
        const text = JSON.stringify({
          type: 'lag',
          textMs: out.textMs === undefined ? {} : { [out.lang]: Math.round(out.textMs) },
          voiceMs: out.voiceMs === undefined ? {} : { [out.lang]: Math.round(out.voiceMs) },
        });
        for (const s of this.speakers) s.sendText(text);
        return;
      }
    }
  }

  /** A committed caption whose media ends before one already delivered is a takeover's repeat. */
  private alreadyDelivered(key: string, mediaEndMs: number): boolean {
    if (!(mediaEndMs > 0)) return false;
    const until = this.committedUntil.get(key) ?? 0;
    if (mediaEndMs <= until) return this.takenOver;
    this.committedUntil.set(key, mediaEndMs);
    return false;
  }

  /** Voice packets of a chunk share its media span; one of a chunk before the current one is a repeat. */
  private alreadyVoiced(lang: string, mediaEndMs: number | undefined): boolean {
    if (mediaEndMs === undefined || !(mediaEndMs > 0)) return false;
    const v = this.voiced.get(lang);
    if (!v) {
      this.voiced.set(lang, { previousEnd: 0, currentEnd: mediaEndMs });
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
    if (this.forget(l)) this.linger(l.language);
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
    this.updateDemand(new Set(Object.keys(counts)));
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

  /** A departed listener's language, heard by nobody now, stays demanded for the grace period. */
  private linger(lang: string): void {
    if (this.closed || this.perLanguage.has(lang) || this.opts.demandGraceMs <= 0) return;
    clearTimeout(this.lingering.get(lang));
    const timer = setTimeout(() => {
      this.lingering.delete(lang);
      this.updateDemand(this.heard);
    }, this.opts.demandGraceMs);
    timer.unref?.();
    this.lingering.set(lang, timer);
  }

  /**
   * Tell the pipeline which languages to produce: those heard now, and those a departed listener
   * left behind, until their grace ends. A new language is announced at once (it is translated
   * from the very next sentence); a language nobody hears any more, because its listeners switched
   * away, is dropped at once.
   */
  private updateDemand(current: Set<string>): void {
    if (this.closed) return;
    for (const lang of current) {
      const timer = this.lingering.get(lang);
      if (timer) clearTimeout(timer);
      this.lingering.delete(lang);
    }
    this.heard = current;
    const languages = [...new Set([...current, ...this.lingering.keys()])].sort();
    const key = languages.join(',');
    if (key === this.demanded) return;
    this.demanded = key;
    this.opts.bus.publish(subjects.demand(this.opts.sessionId, this.opts.gatewayId), {
      type: 'demand',
      languages,
      gateway: this.opts.gatewayId,
      at: Date.now(),
    });
  }
}
