/**
 * A listener's WebSocket. Listeners are anonymous: a token, if one is sent, only sets the
 * `authenticated` flag (and, for the session's owner or an operator, unlocks the full replay
 * history and SessionInfo); a missing, malformed or expired one never stops anybody listening.
 * Anybody else is replayed only the recent window (`limits.anonymousReplay*`).
 */
import {
  DEFAULT_VOICE_ID,
  type LiveSession,
  type Metrics,
  type SessionRegistry,
  targetsFor,
} from '@babelcast/core';
import {
  BabelcastError,
  CloseCode,
  closeCodeOf,
  ErrorCode,
  isKnownLanguage,
  type ListenerClientMessage,
  listenerClientMessage,
  languageCode,
  PROTOCOL_VERSION,
  voiceId,
} from '@babelcast/protocol';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { bearerFrom } from '../auth.ts';
import { TokenBucket } from '../limits/rate-limit.ts';
import { guarded, SocketConnection, type SocketDeps } from './connection.ts';
import { parseControl, sendError, sinkFor } from './socket-messages.ts';

const LISTENER_TYPES = ['hello', 'setLanguage', 'replay', 'ping'] as const;

/** Messages a listener may send before it has joined; they are handled, in order, once it has. */
const MAX_EARLY_MESSAGES = 20;

/**
 * Throws the reason a target language cannot be served (UNSUPPORTED_LANGUAGE, UNSUPPORTED_PAIR,
 * LANGUAGE_NOT_OFFERED, OVER_CAPACITY; the error table gives each its close code).
 */
function admitTarget(
  sessions: SessionRegistry,
  metrics: Metrics,
  session: LiveSession,
  target: string,
): void {
  if (!languageCode.safeParse(target).success || !isKnownLanguage(target.split('-')[0]!))
    throw new BabelcastError(ErrorCode.UNSUPPORTED_LANGUAGE, `unsupported language "${target}"`);
  const source = session.snapshot.sourceLanguage;
  if (!targetsFor(sessions.served, source).includes(target)) {
    throw new BabelcastError(
      ErrorCode.UNSUPPORTED_PAIR,
      `cannot translate ${source}→${target} with the configured engines`,
    );
  }
  // Offered by this session (the speaker's choice), and room on the node if it is a new language.
  try {
    sessions.admitLanguage(session, target);
  } catch (err) {
    if (err instanceof BabelcastError && err.code === ErrorCode.OVER_CAPACITY)
      metrics.overCapacity.inc({ what: 'language' });
    throw err;
  }
}

/** What the listener asked for in the query string. */
interface ListenerQuery {
  sessionId: string;
  target: string;
  /** Replay after this seq; null: the join replay (the last `limits.joinReplay` captions). */
  since: number | null;
  /** The voice asked for (`?voice=`); undefined: the language's default. */
  voice: string | undefined;
}

/**
 * Where a listener connection is: `joining` (looking up the session and the language, reading the
 * token; messages wait), then `joined` (added to the session's hub; messages handled in order).
 */
type ListenerState = { kind: 'joining' } | { kind: 'joined'; session: LiveSession };

export class ListenerConnection extends SocketConnection {
  private state: ListenerState = { kind: 'joining' };
  private readonly id = randomUUID();
  private readonly sink = sinkFor(this.ws);
  private language: string;
  /** The voice track it hears: DEFAULT_VOICE_ID, or a voice its language offers. */
  private voice = DEFAULT_VOICE_ID;
  private authenticated = false;
  /** The session's owner or an operator: full history and SessionInfo. */
  private privileged = false;
  private readonly early: Buffer[] = [];
  private readonly messageRate = new TokenBucket(this.deps.config.rateLimits.listenerMessages);
  private readonly replayRate = new TokenBucket(this.deps.config.rateLimits.replay);
  /** In order: a `replay` after a `hello` with the owner's token is answered as the owner. */
  private chain: Promise<void> = Promise.resolve();

  /** Takes over a listener socket; refuses it (4400) when the query string is incomplete or wrong. */
  static accept(ws: WebSocket, request: IncomingMessage, url: URL, deps: SocketDeps): void {
    const query = ListenerConnection.query(url);
    const connection = new ListenerConnection(ws, request, typeof query === 'string' ? null : query, deps);
    if (typeof query === 'string') {
      connection.refuse(CloseCode.BAD_REQUEST, query);
      return;
    }
    connection.listen();
    connection.join(query).catch(connection.failed('listener join', { session: query.sessionId }));
  }

  /** The query, or why it is refused. */
  private static query(url: URL): ListenerQuery | string {
    const sessionId = url.searchParams.get('session');
    const target = url.searchParams.get('targetLanguage');
    const sinceParam = url.searchParams.get('since');
    if (!sessionId) return 'missing ?session=<id>';
    if (!target) return 'missing ?targetLanguage=<code>';
    const since = sinceParam === null ? null : Number(sinceParam);
    if (since !== null && !Number.isInteger(since)) return '"since" must be an integer seq';
    const voice = url.searchParams.get('voice') ?? undefined;
    if (voice !== undefined && !voiceId.safeParse(voice).success) return '"voice" is not a voice id';
    return { sessionId, target, since, voice };
  }

  private constructor(
    ws: WebSocket,
    private readonly request: IncomingMessage,
    query: ListenerQuery | null,
    deps: SocketDeps,
  ) {
    super(ws, deps, 'listener');
    this.language = query?.target ?? '';
  }

  private listen(): void {
    this.ws.on(
      'message',
      guarded(
        this.log,
        'listener message',
        (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary),
        () => this.refuse(CloseCode.INTERNAL_ERROR, 'internal error'),
      ),
    );
    this.ws.on('error', (err) => this.log.warn({ err }, 'listener socket error'));
    this.ws.on('close', () => {
      if (this.state.kind === 'joined') this.state.session.hub.removeListener(this.id);
    });
  }

  private async join(query: ListenerQuery): Promise<void> {
    const { sessions, metrics, config } = this.deps;
    const s = await this.sessionOrRefuse(query.sessionId);
    if (!s) return;
    try {
      admitTarget(sessions, metrics, s, query.target);
    } catch (err) {
      if (!(err instanceof BabelcastError)) throw err;
      sendError(this.ws, err);
      this.refuse(closeCodeOf(err), err.message);
      return;
    }
    try {
      this.voice = sessions.admitVoice(s, query.target, query.voice);
    } catch (err) {
      if (!(err instanceof BabelcastError)) throw err;
      // A voice is a preference (a page may remember one the server no longer has): said, and the
      // listener joins with the language's default voice rather than not at all.
      sendError(this.ws, err);
    }
    await this.identify(bearerFrom(this.request.headers.authorization), s);
    if (!this.isOpen) return;
    this.state = { kind: 'joined', session: s };
    s.hub.addListener(this.id, this.sink, this.language, this.voice);
    const { codec, sampleRate, frameDurationMs } = this.deps.codec;
    this.send({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      session: this.privileged ? await sessions.info(s.snapshot) : sessions.publicInfo(s.snapshot),
      targetLanguage: this.language,
      ...this.voiceField(s),
      authenticated: this.authenticated,
      seq: s.hub.seq,
      audio: { codec, sampleRate, frameDurationMs },
    });
    if (query.since === null) this.replayTo(s, -1, config.limits.joinReplay);
    else this.replayTo(s, query.since);
    for (const data of this.early.splice(0)) this.dispatch(data, false);
  }

  private async identify(token: string | undefined, s: LiveSession): Promise<void> {
    const p = await this.deps.auth.authenticate(token);
    this.authenticated = p !== null;
    this.privileged = p !== null && (p.operator || p.id === s.ownerId);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!this.isOpen) return;
    if (!this.messageRate.take()) {
      // Checked before parsing: a flood costs a subtraction per message, and is cut off after the budget.
      const e = new BabelcastError(ErrorCode.RATE_LIMITED, 'too many messages; slow down');
      this.rejectMessage(e, {}, 'too many messages');
      return;
    }
    this.dispatch(data, isBinary);
  }

  private dispatch(data: Buffer, isBinary: boolean): void {
    const { state } = this;
    if (state.kind === 'joining') {
      if (this.early.length < MAX_EARLY_MESSAGES) this.early.push(data);
      return;
    }
    if (isBinary) {
      this.rejectMessage(
        new BabelcastError(ErrorCode.BAD_FRAME, 'listeners send JSON control messages only'),
        {},
      );
      return;
    }
    this.chain = this.chain
      .then(() => this.handle(state.session, parseControl(data, listenerClientMessage, LISTENER_TYPES)))
      .catch((err) => this.rejectMessage(err, { session: state.session.id }));
  }

  private async handle(session: LiveSession, msg: ListenerClientMessage): Promise<void> {
    const { config } = this.deps;
    switch (msg.type) {
      case 'hello':
        if (msg.protocol !== PROTOCOL_VERSION) {
          const reason = `protocol ${msg.protocol} not supported; this server speaks ${PROTOCOL_VERSION}`;
          sendError(this.ws, new BabelcastError(ErrorCode.UNSUPPORTED_PROTOCOL, reason));
          this.refuse(CloseCode.UNSUPPORTED_PROTOCOL, reason);
          return;
        }
        await this.identify(msg.token, session);
        // A voice in hello is a switch only if it is another voice (a page may name the one it
        // already asked for in the query string: no second join replay for that).
        if (
          msg.voice !== undefined &&
          this.deps.sessions.admitVoice(session, this.language, msg.voice) !== this.voice
        )
          this.switchTo(session, this.language, msg.voice);
        return;
      case 'setLanguage':
        this.switchTo(session, msg.targetLanguage, msg.voice);
        return;
      case 'replay': {
        const { burst, perSecond } = config.rateLimits.replay;
        if (!this.replayRate.take())
          throw new BabelcastError(
            ErrorCode.RATE_LIMITED,
            `replay at most ${burst} times per ${Math.round(burst / perSecond)} s`,
          );
        this.replayTo(session, msg.since);
        return;
      }
      case 'ping':
        this.send({ type: 'pong', t: msg.t, serverTime: Date.now() });
        return;
    }
  }

  /**
   * Another language and/or voice; refused as a whole (UNSUPPORTED_VOICE, or the language's
   * refusals) with nothing changed. Audio after `languageChanged` is the new voice's. A new
   * language replays its recent captions; a new voice alone changes no caption, so none follow.
   */
  private switchTo(session: LiveSession, language: string, voice: string | undefined): void {
    const { sessions, metrics, config } = this.deps;
    admitTarget(sessions, metrics, session, language);
    const track = sessions.admitVoice(session, language, voice);
    const voiceOnly = language === this.language && track !== this.voice;
    this.language = language;
    this.voice = track;
    session.hub.setLanguage(this.id, language, track);
    this.send({ type: 'languageChanged', targetLanguage: language, ...this.voiceField(session) });
    if (!voiceOnly) this.replayTo(session, -1, config.limits.joinReplay);
  }

  /** `voice` for welcome and languageChanged: the chosen voice's id, else the default's, if named. */
  private voiceField(session: LiveSession): { voice?: string } {
    const voice = this.voice || this.deps.sessions.voicesFor(session, this.language)[0];
    return voice ? { voice } : {};
  }

  /**
   * History goes out only to a listener that is keeping up: one whose socket already holds more
   * than `replayMaxBufferedBytes` is closed with SLOW_CONSUMER instead (it may reconnect with
   * `since`), so asking for replay again and again can never pile output up in memory.
   */
  private replayTo(s: LiveSession, since: number, limit?: number): void {
    const { config, metrics } = this.deps;
    if (this.ws.bufferedAmount > config.limits.replayMaxBufferedBytes) {
      metrics.slowConsumers.inc();
      this.refuse(CloseCode.SLOW_CONSUMER, 'listener too slow for a replay; reconnect with since=<last seq>');
      return;
    }
    if (!this.privileged) {
      // The recent window only: the whole transcript is the owner's (transcript export).
      const { anonymousReplayMaxEvents: most, anonymousReplayWindowMs: windowMs } = config.limits;
      since = Math.max(since, s.hub.seqBefore(Date.now() - windowMs));
      limit = Math.min(limit ?? most, most);
    }
    s.hub.replay(this.id, since, limit);
  }
}
