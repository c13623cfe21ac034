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
import { bearerFrom, type Principal } from '../auth.ts';
import { TokenBucket } from '../limits/rate-limit.ts';
import {
  closeHard,
  closeWith,
  ErrorBudget,
  guarded,
  parseControl,
  sendError,
  sendJson,
  type SocketDeps,
  sessionOrRefuse,
  sinkFor,
} from './socket-utils.ts';

const SPEAKER_TYPES = ['hello', 'pause', 'resume', 'end', 'inputStats', 'ping'] as const;

/** The current speaker connection of each session: a new one replaces the old (e.g. after a network change). */
const activeSpeakers = new WeakMap<LiveSession, WebSocket>();

export function handleSpeakerSocket(
  ws: WebSocket,
  request: IncomingMessage,
  url: URL,
  deps: SocketDeps,
): void {
  const { manager, auth, metrics, config } = deps;
  const log = deps.logger.child({ role: 'speaker' });
  const refuse = (code: number, reason: string): void => {
    metrics.wsRejected.inc({ role: 'speaker', code: String(code) });
    closeHard(ws, code, reason);
  };
  const controlRate = new TokenBucket(config.rateLimits.speakerMessages);
  const budget = new ErrorBudget(config.limits.maxBadMessages, metrics, 'speaker');
  const sessionId = url.searchParams.get('session');
  if (!sessionId) {
    refuse(CloseCode.BAD_REQUEST, 'missing ?session=<id>');
    return;
  }

  let session: LiveSession | null = null;
  let principal: Principal | null = null;
  const sink = sinkFor(ws);
  // Frames that arrive before hello is processed wait here, in order (bounded by the hello timeout).
  const early: { data: Buffer; binary: boolean }[] = [];
  let ready = false;
  let helloPending = true;

  const helloTimer = setTimeout(
    () => refuse(CloseCode.TIMEOUT, 'no hello within the time limit'),
    config.limits.helloTimeoutMs,
  );

  const onProtocolError = (err: unknown) => {
    const e = err instanceof BabelcastError ? err : new BabelcastError(ErrorCode.INTERNAL, 'internal error');
    if (!(err instanceof BabelcastError)) log.error({ err }, 'speaker message failed');
    sendError(ws, e);
    if (budget.spend(e.code)) refuse(CloseCode.PROTOCOL_ERROR, 'too many invalid messages');
  };

  // Backpressure: if the recogniser falls behind (an overloaded node), stop reading this socket
  // until it catches up. TCP then holds the speaker's frames and the page keeps them unacknowledged
  // (it resends after a reconnect), so the queue in front of the recogniser stays bounded and
  // nothing accepted is dropped. The pipeline says so on the session's state subject: `backlog
  // high` above limits.maxAsrBacklogSeconds, `backlog low` once it has halved.
  let paused = false;
  let refusalSent = false;
  let unsubscribeEvents: Unsubscribe | null = null;
  const onSessionEvent = (event: SessionEvent) => {
    if (event.type !== 'backlog' || !session || ws.readyState !== ws.OPEN) return;
    if (event.level === 'high' && !paused) {
      paused = true;
      metrics.speakerBackpressure.inc();
      log.warn(
        { session: session.id, backlogSeconds: event.seconds },
        'recogniser behind; pausing speaker input',
      );
      ws.pause();
    } else if (event.level === 'low' && paused) {
      paused = false;
      ws.resume();
    }
  };
  const handleBinary = async (data: Buffer) => {
    if (!session) return;
    const frame = decodeSpeakerAudioFrame(data);
    // seq does not wrap. A frame far ahead of the last accepted one (or past SPEAKER_SEQ_MAX) is a
    // client bug: refused and not acknowledged, so it cannot count billions of missing frames or
    // make every later frame look like a duplicate.
    const last = session.lastSpeakerSeq;
    if (frame.seq > SPEAKER_SEQ_MAX || (last !== null && frame.seq - last > config.limits.maxSeqJump)) {
      throw new BabelcastError(
        ErrorCode.SEQ_OUT_OF_RANGE,
        `seq ${frame.seq} refused: ${frame.seq > SPEAKER_SEQ_MAX ? `above ${SPEAKER_SEQ_MAX}` : `more than ${config.limits.maxSeqJump} ahead of ${last}`}`,
      );
    }
    if ((await session.acceptAudio(frame)) === 'refused') {
      // Not taken, so not acknowledged (nothing acknowledged is ever dropped). Said once per
      // pause, not per frame, and not counted as a protocol error.
      if (!refusalSent) {
        refusalSent = true;
        sendError(
          ws,
          new BabelcastError(
            ErrorCode.SESSION_PAUSED,
            `the session is ${session.state}: audio is not accepted (nor acknowledged) until it is resumed`,
          ),
        );
      }
      return;
    }
    refusalSent = false;
    sendJson(ws, { type: 'ack', seq: session.lastSpeakerSeq });
  };

  const handleControl = async (msg: SpeakerClientMessage) => {
    if (!session) return;
    switch (msg.type) {
      case 'hello':
        throw new BabelcastError(ErrorCode.BAD_MESSAGE, 'hello was already received');
      case 'pause':
        await manager.transition(session.id, 'paused');
        return;
      case 'resume':
        await manager.transition(session.id, 'live');
        return;
      case 'end':
        await manager.transition(session.id, 'ended');
        return;
      case 'inputStats':
        metrics.speakerLevel(session.id, 'rms', msg.rmsDbfs);
        metrics.speakerLevel(session.id, 'peak', msg.peakDbfs);
        if (msg.snrDb !== null) metrics.speakerLevel(session.id, 'snr', msg.snrDb);
        return;
      case 'ping':
        sendJson(ws, { type: 'pong', t: msg.t, serverTime: Date.now() });
        return;
    }
  };

  let chain: Promise<void> = Promise.resolve();
  const process = (data: Buffer, binary: boolean) => {
    if (!binary && !controlRate.take()) {
      onProtocolError(new BabelcastError(ErrorCode.RATE_LIMITED, 'too many control messages; slow down'));
      return;
    }
    // Serialise: a pause must not overtake the audio frames sent before it.
    chain = chain.then(async () => {
      try {
        if (binary) await handleBinary(data);
        else await handleControl(parseControl(data, speakerClientMessage, SPEAKER_TYPES));
      } catch (err) {
        onProtocolError(err);
      }
    });
  };

  const start = async (helloToken: string | undefined, protocol: number) => {
    if (protocol !== PROTOCOL_VERSION) {
      return refuse(
        CloseCode.UNSUPPORTED_PROTOCOL,
        `protocol ${protocol} not supported; this server speaks ${PROTOCOL_VERSION}`,
      );
    }
    principal = await auth.authenticate(helloToken ?? bearerFrom(request.headers.authorization));
    if (!principal) {
      refuse(CloseCode.UNAUTHORIZED, 'a valid speaker token is required to broadcast');
      return;
    }
    const s = await sessionOrRefuse(manager, sessionId, refuse);
    if (!s) return;
    if (s.ownerId !== principal.id) {
      refuse(CloseCode.FORBIDDEN, 'only the speaker who created this session may broadcast into it');
      return;
    }
    if (ws.readyState !== ws.OPEN) return;
    // A new session, or one the server paused (restart, idle), goes live as its speaker returns.
    try {
      await manager.speakerConnected(s);
    } catch (err) {
      if (!(err instanceof BabelcastError) || err.code !== ErrorCode.OVER_CAPACITY) throw err;
      metrics.overCapacity.inc({ what: 'live' });
      sendError(ws, err);
      refuse(CloseCode.OVER_CAPACITY, err.message);
      return;
    }
    if (ws.readyState !== ws.OPEN) return;
    const previous = activeSpeakers.get(s);
    if (previous && previous !== ws)
      closeWith(previous, CloseCode.REPLACED, 'another connection took over this session');
    activeSpeakers.set(s, ws);
    session = s;
    unsubscribeEvents = deps.bus.subscribe(subjects.state(s.id), onSessionEvent);
    s.hub.addSpeaker(sink);
    sendJson(ws, {
      type: 'ready',
      protocol: PROTOCOL_VERSION,
      session: await manager.info(s.snapshot),
      lastSeq: s.lastSpeakerSeq,
    });
    ready = true;
    log.info({ session: s.id, speaker: principal.id }, 'speaker connected');
    for (const m of early.splice(0)) process(m.data, m.binary);
  };

  const onMessage = (data: Buffer, isBinary: boolean) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ready) return process(data, isBinary);
    if (helloPending) {
      helloPending = false;
      try {
        if (isBinary)
          throw new BabelcastError(ErrorCode.NOT_AUTHENTICATED_YET, 'the first message must be hello');
        const msg = parseControl(data, speakerClientMessage, SPEAKER_TYPES);
        if (msg.type !== 'hello')
          throw new BabelcastError(ErrorCode.NOT_AUTHENTICATED_YET, 'the first message must be hello');
        clearTimeout(helloTimer);
        start(msg.token, msg.protocol).catch((err) => {
          log.error({ err }, 'speaker start failed');
          refuse(CloseCode.INTERNAL_ERROR, 'internal error');
        });
      } catch (err) {
        clearTimeout(helloTimer);
        const e = err as BabelcastError;
        metrics.badInput.inc({ role: 'speaker', code: e.code ?? 'unknown' });
        refuse(CloseCode.BAD_REQUEST, `${e.message}`);
      }
      return;
    }
    // Audio sent right after hello, before the server answered: keep it (nothing accepted is lost).
    if (early.length < 100) early.push({ data, binary: isBinary });
    else refuse(CloseCode.PROTOCOL_ERROR, 'too much data before ready');
  };
  ws.on(
    'message',
    guarded(log, 'speaker message', onMessage, () => refuse(CloseCode.INTERNAL_ERROR, 'internal error')),
  );

  ws.on('close', () => {
    clearTimeout(helloTimer);
    unsubscribeEvents?.();
    if (session) {
      session.hub.removeSpeaker(sink);
      if (activeSpeakers.get(session) === ws) activeSpeakers.delete(session);
      log.info({ session: session.id }, 'speaker disconnected');
    }
  });
  ws.on('error', (err) => log.warn({ err }, 'speaker socket error'));
}
