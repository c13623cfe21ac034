/**
 * The speaker's WebSocket. The credential arrives in the first message (`hello`), never in the
 * URL, so it cannot end up in proxy or access logs (browsers cannot set headers on WebSockets;
 * non-browser clients may use `Authorization: Bearer` on the upgrade instead).
 *
 * Audio acknowledgement: after each accepted (or duplicate) frame the server sends the highest
 * seq it holds. A client keeps unacknowledged frames and resends them after a reconnect; the
 * `ready` message says where to resume. Duplicates are dropped, so resending is always safe.
 */
import { type LiveSession, type SessionEvent, subjects, type Unsubscribe } from '@babelcast/core';
import {
  BabelcastError,
  CloseCode,
  decodeSpeakerAudioFrame,
  ErrorCode,
  PROTOCOL_VERSION,
  SPEAKER_SEQ_MAX,
  type SpeakerClientMessage,
  speakerClientMessage,
} from '@babelcast/protocol';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { bearerFrom } from '../auth.ts';
import { TokenBucket } from '../limits/rate-limit.ts';
import { guarded, SocketConnection, type SocketDeps } from './connection.ts';
import { closeWith, parseControl, sendError, sinkFor } from './socket-messages.ts';

const SPEAKER_TYPES = ['hello', 'pause', 'resume', 'end', 'inputStats', 'ping'] as const;

/** Frames (audio or control) a speaker may send after hello and before `ready`. */
const MAX_EARLY_MESSAGES = 100;

/** The current speaker connection of each session: a new one replaces the old (e.g. after a network change). */
const activeSpeakers = new WeakMap<LiveSession, WebSocket>();

/**
 * Where a speaker connection is:
 * - `awaitingHello`: nothing received yet; the first message must be `hello` (within the timeout);
 * - `starting`: hello taken; authenticating and joining the session. What arrives meanwhile waits,
 *   in order, and is handled once ready;
 * - `ready`: `ready` was sent; audio and control messages are handled as they come, in order.
 */
export type SpeakerState = 'awaitingHello' | 'starting' | 'ready';

/**
 * Whether this socket is read. The recogniser's backlog (on the session's state subject) holds it:
 * TCP then holds the speaker's frames, the page keeps them unacknowledged (it resends after a
 * reconnect), so the queue in front of the recogniser stays bounded and nothing accepted is
 * dropped. `backlog high` above limits.maxAsrBacklogSeconds, `backlog low` once it has halved.
 */
type InputState = 'reading' | 'held';

export class SpeakerConnection extends SocketConnection {
  private state: SpeakerState = 'awaitingHello';
  private input: InputState = 'reading';
  /** Set once this socket is its session's speaker (during `starting`, before `ready` is sent). */
  private session: LiveSession | null = null;
  private unsubscribeEvents: Unsubscribe | null = null;
  /** The SESSION_PAUSED refusal is said once per pause, not per frame. */
  private pausedRefusalSent = false;
  private readonly sink = sinkFor(this.ws);
  private readonly controlRate = new TokenBucket(this.deps.config.rateLimits.speakerMessages);
  private readonly early: { data: Buffer; binary: boolean }[] = [];
  private helloTimer: NodeJS.Timeout | undefined;
  /** Serialises message handling: a pause must not overtake the audio frames sent before it. */
  private chain: Promise<void> = Promise.resolve();

  /** Takes over a speaker socket; refuses it (4400) without `?session=`. */
  static accept(ws: WebSocket, request: IncomingMessage, url: URL, deps: SocketDeps): void {
    const sessionId = url.searchParams.get('session');
    const connection = new SpeakerConnection(ws, request, sessionId ?? '', deps);
    if (!sessionId) connection.refuse(CloseCode.BAD_REQUEST, 'missing ?session=<id>');
    else connection.listen();
  }

  private constructor(
    ws: WebSocket,
    private readonly request: IncomingMessage,
    private readonly sessionId: string,
    deps: SocketDeps,
  ) {
    super(ws, deps, 'speaker');
  }

  private listen(): void {
    const { ws } = this;
    this.helloTimer = setTimeout(
      () => this.refuse(CloseCode.TIMEOUT, 'no hello within the time limit'),
      this.deps.config.limits.helloTimeoutMs,
    );
    ws.on(
      'message',
      guarded(
        this.log,
        'speaker message',
        (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary),
        () => this.refuse(CloseCode.INTERNAL_ERROR, 'internal error'),
      ),
    );
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => this.log.warn({ err }, 'speaker socket error'));
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!this.isOpen) return;
    switch (this.state) {
      case 'ready':
        this.enqueue(data, isBinary);
        return;
      case 'awaitingHello':
        this.onHello(data, isBinary);
        return;
      case 'starting':
        // Sent right after hello, before the server answered: kept (nothing accepted is lost).
        if (this.early.length < MAX_EARLY_MESSAGES) this.early.push({ data, binary: isBinary });
        else this.refuse(CloseCode.PROTOCOL_ERROR, 'too much data before ready');
        return;
    }
  }

  private onHello(data: Buffer, isBinary: boolean): void {
    this.state = 'starting';
    clearTimeout(this.helloTimer);
    try {
      if (isBinary)
        throw new BabelcastError(ErrorCode.NOT_AUTHENTICATED_YET, 'the first message must be hello');
      const msg = parseControl(data, speakerClientMessage, SPEAKER_TYPES);
      if (msg.type !== 'hello')
        throw new BabelcastError(ErrorCode.NOT_AUTHENTICATED_YET, 'the first message must be hello');
      this.start(msg.token, msg.protocol).catch(this.failed('speaker start', { session: this.sessionId }));
    } catch (err) {
      // Whatever is wrong with it, a first message that is not a valid hello is a bad request.
      const e = err as BabelcastError;
      this.deps.metrics.badInput.inc({ role: 'speaker', code: e.code ?? 'unknown' });
      this.refuse(CloseCode.BAD_REQUEST, `${e.message}`);
    }
  }

  /** Authenticate, join the session (it goes live if it may), then say `ready`. */
  private async start(helloToken: string | undefined, protocol: number): Promise<void> {
    const { sessions, auth } = this.deps;
    if (protocol !== PROTOCOL_VERSION) {
      return this.refuse(
        CloseCode.UNSUPPORTED_PROTOCOL,
        `protocol ${protocol} not supported; this server speaks ${PROTOCOL_VERSION}`,
      );
    }
    const principal = await auth.authenticate(helloToken ?? bearerFrom(this.request.headers.authorization));
    if (!principal)
      return this.refuse(CloseCode.UNAUTHORIZED, 'a valid speaker token is required to broadcast');
    const s = await this.sessionOrRefuse(this.sessionId);
    if (!s) return;
    if (s.ownerId !== principal.id)
      return this.refuse(
        CloseCode.FORBIDDEN,
        'only the speaker who created this session may broadcast into it',
      );
    if (!this.isOpen || !(await this.goLive(s)) || !this.isOpen) return;
    this.takeOver(s);
    this.send({
      type: 'ready',
      protocol: PROTOCOL_VERSION,
      session: await sessions.info(s.snapshot),
      lastSeq: s.lastSpeakerSeq,
    });
    this.state = 'ready';
    this.log.info({ session: s.id, speaker: principal.id }, 'speaker connected');
    for (const m of this.early.splice(0)) this.enqueue(m.data, m.binary);
  }

  /**
   * A new session, or one the server paused (restart, idle), goes live as its speaker returns
   * (and, in cluster mode, learns from the bus where its audio stands). False after refusing the
   * socket because the node is full.
   */
  private async goLive(s: LiveSession): Promise<boolean> {
    try {
      await this.deps.sessions.speakerConnected(s);
      return true;
    } catch (err) {
      if (!(err instanceof BabelcastError) || err.code !== ErrorCode.OVER_CAPACITY) throw err;
      this.deps.metrics.overCapacity.inc({ what: 'live' });
      sendError(this.ws, err);
      this.refuse(CloseCode.OVER_CAPACITY, err.message);
      return false;
    }
  }

  /** This socket becomes the session's speaker; the one before it (if any) is closed as replaced. */
  private takeOver(s: LiveSession): void {
    const previous = activeSpeakers.get(s);
    if (previous && previous !== this.ws)
      closeWith(previous, CloseCode.REPLACED, 'another connection took over this session');
    activeSpeakers.set(s, this.ws);
    this.session = s;
    this.unsubscribeEvents = this.deps.bus.subscribe(subjects.state(s.id), (e) => this.onSessionEvent(e));
    s.hub.addSpeaker(this.sink);
  }

  private enqueue(data: Buffer, binary: boolean): void {
    if (!binary && !this.controlRate.take()) {
      this.rejectMessage(
        new BabelcastError(ErrorCode.RATE_LIMITED, 'too many control messages; slow down'),
        {},
      );
      return;
    }
    this.chain = this.chain.then(async () => {
      try {
        if (binary) await this.onAudio(data);
        else await this.onControl(parseControl(data, speakerClientMessage, SPEAKER_TYPES));
      } catch (err) {
        this.rejectMessage(err, { session: this.session?.id, binary });
      }
    });
  }

  private async onAudio(data: Buffer): Promise<void> {
    const session = this.session;
    if (!session) return;
    const frame = decodeSpeakerAudioFrame(data);
    // seq does not wrap. A frame far ahead of the last accepted one (or past SPEAKER_SEQ_MAX) is a
    // client bug: refused and not acknowledged, so it cannot count billions of missing frames or
    // make every later frame look like a duplicate.
    const last = session.lastSpeakerSeq;
    const { maxSeqJump } = this.deps.config.limits;
    if (frame.seq > SPEAKER_SEQ_MAX || (last !== null && frame.seq - last > maxSeqJump)) {
      throw new BabelcastError(
        ErrorCode.SEQ_OUT_OF_RANGE,
        `seq ${frame.seq} refused: ${frame.seq > SPEAKER_SEQ_MAX ? `above ${SPEAKER_SEQ_MAX}` : `more than ${maxSeqJump} ahead of ${last}`}`,
      );
    }
    // Resolves once the bus holds the frame: only then is it acknowledged.
    if ((await session.acceptAudio(frame)) === 'refused') {
      // Not taken, so not acknowledged (nothing acknowledged is ever dropped). Said once per
      // pause, not per frame, and not counted as a protocol error.
      if (!this.pausedRefusalSent) {
        this.pausedRefusalSent = true;
        sendError(
          this.ws,
          new BabelcastError(
            ErrorCode.SESSION_PAUSED,
            `the session is ${session.state}: audio is not accepted (nor acknowledged) until it is resumed`,
          ),
        );
      }
      return;
    }
    this.pausedRefusalSent = false;
    this.send({ type: 'ack', seq: session.lastSpeakerSeq });
  }

  private async onControl(msg: SpeakerClientMessage): Promise<void> {
    const session = this.session;
    if (!session) return;
    const { sessions, metrics } = this.deps;
    switch (msg.type) {
      case 'hello':
        throw new BabelcastError(ErrorCode.BAD_MESSAGE, 'hello was already received');
      case 'pause':
        await sessions.transition(session.id, 'paused');
        return;
      case 'resume':
        await sessions.transition(session.id, 'live');
        return;
      case 'end':
        await sessions.transition(session.id, 'ended');
        return;
      case 'inputStats':
        metrics.speakerLevel(session.id, 'rms', msg.rmsDbfs);
        metrics.speakerLevel(session.id, 'peak', msg.peakDbfs);
        if (msg.snrDb !== null) metrics.speakerLevel(session.id, 'snr', msg.snrDb);
        return;
      case 'ping':
        this.send({ type: 'pong', t: msg.t, serverTime: Date.now() });
        return;
    }
  }

  /** Backpressure from the recogniser (see InputState). */
  private onSessionEvent(event: SessionEvent): void {
    if (event.type !== 'backlog' || !this.session || !this.isOpen) return;
    if (event.level === 'high' && this.input === 'reading') {
      this.input = 'held';
      this.deps.metrics.speakerBackpressure.inc();
      this.log.warn(
        { session: this.session.id, backlogSeconds: event.seconds },
        'recogniser behind; pausing speaker input',
      );
      this.ws.pause();
    } else if (event.level === 'low' && this.input === 'held') {
      this.input = 'reading';
      this.ws.resume();
    }
  }

  private onClose(): void {
    clearTimeout(this.helloTimer);
    this.unsubscribeEvents?.();
    const session = this.session;
    if (!session) return;
    session.hub.removeSpeaker(this.sink);
    if (activeSpeakers.get(session) === this.ws) activeSpeakers.delete(session);
    this.log.info({ session: session.id }, 'speaker disconnected');
  }
}
