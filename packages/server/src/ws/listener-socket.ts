/**
 * A listener's WebSocket. Listeners are anonymous: a token, if one is sent, only sets the
 * `authenticated` flag (and, for the session's owner or an operator, unlocks the full replay
 * history and SessionInfo); a missing, malformed or expired one never stops anybody listening.
 * Anybody else is replayed only the recent window (`limits.anonymousReplay*`).
 */
import { type LiveSession, type SessionManager, targetsFor } from '@babelcast/core';
import {
  BabelcastError,
  CloseCode,
  ErrorCode,
  isKnownLanguage,
  type ListenerClientMessage,
  listenerClientMessage,
  languageCode,
  PROTOCOL_VERSION,
} from '@babelcast/protocol';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { bearerFrom } from '../auth.ts';
import { TokenBucket } from '../limits/rate-limit.ts';
import {
  closeHard,
  ErrorBudget,
  guarded,
  parseControl,
  sendError,
  sendJson,
  type SocketDeps,
  sessionOrRefuse,
  sinkFor,
} from './socket-utils.ts';

const LISTENER_TYPES = ['hello', 'setLanguage', 'replay', 'ping'] as const;

/** Why a target language cannot be served, as a close code + error code + reason; null if it can. */
function checkTarget(
  manager: SessionManager,
  session: LiveSession,
  target: string,
): { code: number; error: ErrorCode; reason: string } | null {
  if (!languageCode.safeParse(target).success || !isKnownLanguage(target.split('-')[0]!)) {
    return {
      code: CloseCode.UNSUPPORTED_LANGUAGE,
      error: ErrorCode.UNSUPPORTED_LANGUAGE,
      reason: `unsupported language "${target}"`,
    };
  }
  const source = session.snapshot.sourceLanguage;
  if (!targetsFor(manager.served, source).includes(target)) {
    return {
      code: CloseCode.UNSUPPORTED_PAIR,
      error: ErrorCode.UNSUPPORTED_PAIR,
      reason: `cannot translate ${source}→${target} with the configured engines`,
    };
  }
  // Offered by this session (the speaker's choice), and room on the node if it is a new language.
  try {
    manager.admitLanguage(session, target);
  } catch (err) {
    if (!(err instanceof BabelcastError)) throw err;
    const over = err.code === ErrorCode.OVER_CAPACITY;
    return {
      code: over ? CloseCode.OVER_CAPACITY : CloseCode.UNSUPPORTED_PAIR,
      error: err.code,
      reason: err.message,
    };
  }
  return null;
}

export function handleListenerSocket(
  ws: WebSocket,
  request: IncomingMessage,
  url: URL,
  deps: SocketDeps,
): void {
  const { manager, auth, metrics, config } = deps;
  const { codec, sampleRate, frameDurationMs } = deps.codec;
  const log = deps.logger.child({ role: 'listener' });
  const refuse = (code: number, reason: string): void => {
    metrics.wsRejected.inc({ role: 'listener', code: String(code) });
    closeHard(ws, code, reason);
  };
  const sessionId = url.searchParams.get('session');
  const target = url.searchParams.get('targetLanguage');
  const sinceParam = url.searchParams.get('since');
  if (!sessionId) {
    refuse(CloseCode.BAD_REQUEST, 'missing ?session=<id>');
    return;
  }
  if (!target) {
    refuse(CloseCode.BAD_REQUEST, 'missing ?targetLanguage=<code>');
    return;
  }
  const since = sinceParam === null ? null : Number(sinceParam);
  if (since !== null && !Number.isInteger(since)) {
    refuse(CloseCode.BAD_REQUEST, '"since" must be an integer seq');
    return;
  }

  const id = randomUUID();
  const sink = sinkFor(ws);
  const budget = new ErrorBudget(config.limits.maxBadMessages, metrics, 'listener');
  let session: LiveSession | null = null;
  let language = target;
  let authenticated = false;
  /** The session's owner or an operator: full history and SessionInfo. */
  let privileged = false;
  const early: Buffer[] = [];
  const messageRate = new TokenBucket(config.rateLimits.listenerMessages);
  const replayRate = new TokenBucket(config.rateLimits.replay);

  /**
   * History goes out only to a listener that is keeping up: one whose socket already holds more
   * than `replayMaxBufferedBytes` is closed with SLOW_CONSUMER instead (it may reconnect with
   * `since`), so asking for replay again and again can never pile output up in memory.
   */
  const replayTo = (s: LiveSession, since: number, limit?: number): void => {
    if (ws.bufferedAmount > config.limits.replayMaxBufferedBytes) {
      metrics.slowConsumers.inc();
      refuse(CloseCode.SLOW_CONSUMER, 'listener too slow for a replay; reconnect with since=<last seq>');
      return;
    }
    if (!privileged) {
      // The recent window only: the whole transcript is the owner's (transcript export).
      const { anonymousReplayMaxEvents: most, anonymousReplayWindowMs: windowMs } = config.limits;
      since = Math.max(since, s.hub.seqBefore(Date.now() - windowMs));
      limit = Math.min(limit ?? most, most);
    }
    s.hub.replay(id, since, limit);
  };
  const identify = async (token: string | undefined, s: LiveSession): Promise<void> => {
    const p = await auth.authenticate(token);
    authenticated = p !== null;
    privileged = p !== null && (p.operator || p.id === s.ownerId);
  };

  const handle = async (msg: ListenerClientMessage) => {
    if (!session) return;
    switch (msg.type) {
      case 'hello':
        if (msg.protocol !== PROTOCOL_VERSION) {
          const reason = `protocol ${msg.protocol} not supported; this server speaks ${PROTOCOL_VERSION}`;
          sendError(ws, new BabelcastError(ErrorCode.UNSUPPORTED_PROTOCOL, reason));
          refuse(CloseCode.UNSUPPORTED_PROTOCOL, reason);
          return;
        }
        await identify(msg.token, session);
        return;
      case 'setLanguage': {
        const problem = checkTarget(manager, session, msg.targetLanguage);
        if (problem) {
          if (problem.error === ErrorCode.OVER_CAPACITY) metrics.overCapacity.inc({ what: 'language' });
          throw new BabelcastError(problem.error, problem.reason);
        }
        language = msg.targetLanguage;
        session.hub.setLanguage(id, language);
        sendJson(ws, { type: 'languageChanged', targetLanguage: language });
        replayTo(session, -1, config.limits.joinReplay);
        return;
      }
      case 'replay':
        if (!replayRate.take())
          throw new BabelcastError(
            ErrorCode.RATE_LIMITED,
            `replay at most ${config.rateLimits.replay.burst} times per ${Math.round(config.rateLimits.replay.burst / config.rateLimits.replay.perSecond)} s`,
          );
        replayTo(session, msg.since);
        return;
      case 'ping':
        sendJson(ws, { type: 'pong', t: msg.t, serverTime: Date.now() });
        return;
    }
  };

  const onMessage = (data: Buffer, isBinary: boolean) => {
    if (ws.readyState !== ws.OPEN) return;
    if (!messageRate.take()) {
      // Checked before parsing: a flood costs a subtraction per message, and is cut off after the budget.
      const e = new BabelcastError(ErrorCode.RATE_LIMITED, 'too many messages; slow down');
      sendError(ws, e);
      if (budget.spend(e.code)) refuse(CloseCode.RATE_LIMITED, 'too many messages');
      return;
    }
    dispatch(data, isBinary);
  };
  const dispatch = (data: Buffer, isBinary: boolean) => {
    if (!session) {
      if (early.length < 20) early.push(data);
      return;
    }
    if (isBinary) {
      const e = new BabelcastError(ErrorCode.BAD_FRAME, 'listeners send JSON control messages only');
      sendError(ws, e);
      if (budget.spend(e.code)) refuse(CloseCode.PROTOCOL_ERROR, 'too many invalid messages');
      return;
    }
    // In order: a `replay` after a `hello` with the owner's token is answered as the owner.
    chain = chain
      .then(() => handle(parseControl(data, listenerClientMessage, LISTENER_TYPES)))
      .catch((err) => {
        const e =
          err instanceof BabelcastError ? err : new BabelcastError(ErrorCode.INTERNAL, 'internal error');
        sendError(ws, e);
        if (budget.spend(e.code)) refuse(CloseCode.PROTOCOL_ERROR, 'too many invalid messages');
      });
  };
  let chain: Promise<void> = Promise.resolve();
  ws.on(
    'message',
    guarded(log, 'listener message', onMessage, () => refuse(CloseCode.INTERNAL_ERROR, 'internal error')),
  );
  ws.on('error', (err) => log.warn({ err }, 'listener socket error'));
  ws.on('close', () => {
    session?.hub.removeListener(id);
  });

  (async () => {
    const s = await sessionOrRefuse(manager, sessionId, refuse);
    if (!s) return;
    const problem = checkTarget(manager, s, target);
    if (problem) {
      if (problem.error === ErrorCode.OVER_CAPACITY) metrics.overCapacity.inc({ what: 'language' });
      sendError(ws, new BabelcastError(problem.error, problem.reason));
      refuse(problem.code, problem.reason);
      return;
    }
    await identify(bearerFrom(request.headers.authorization), s);
    if (ws.readyState !== ws.OPEN) return;
    session = s;
    s.hub.addListener(id, sink, language);
    sendJson(ws, {
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      session: privileged ? await manager.info(s.snapshot) : manager.publicInfo(s.snapshot),
      targetLanguage: language,
      authenticated,
      seq: s.hub.seq,
      audio: { codec, sampleRate, frameDurationMs },
    });
    if (since === null) replayTo(s, -1, config.limits.joinReplay);
    else replayTo(s, since);
    for (const data of early.splice(0)) dispatch(data, false);
  })().catch((err) => {
    log.error({ err }, 'listener join failed');
    refuse(CloseCode.INTERNAL_ERROR, 'internal error');
  });
}
