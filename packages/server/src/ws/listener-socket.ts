/**
 * A listener's WebSocket. Listeners are anonymous: a token, if one is sent, only sets the
 * `authenticated` flag; a missing, malformed or expired one never stops anybody listening.
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
import {
  closeWith,
  ErrorBudget,
  parseControl,
  sendError,
  sendJson,
  type SocketDeps,
  sessionOrRefuse,
  sinkFor,
} from './socket-utils.ts';

const LISTENER_TYPES = ['hello', 'setLanguage', 'replay', 'ping'] as const;

/** Why a target language cannot be served, as a close code + reason; null if it can. */
function checkTarget(
  manager: SessionManager,
  session: LiveSession,
  target: string,
): { code: number; reason: string } | null {
  if (!languageCode.safeParse(target).success || !isKnownLanguage(target.split('-')[0]!)) {
    return { code: CloseCode.UNSUPPORTED_LANGUAGE, reason: `unsupported language "${target}"` };
  }
  const source = session.snapshot.sourceLanguage;
  if (!targetsFor(manager.served, source).includes(target)) {
    return {
      code: CloseCode.UNSUPPORTED_PAIR,
      reason: `cannot translate ${source}→${target} with the configured engines`,
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
    closeWith(ws, code, reason);
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
  const early: Buffer[] = [];

  const handle = async (msg: ListenerClientMessage) => {
    if (!session) return;
    switch (msg.type) {
      case 'hello':
        authenticated = (await auth.authenticate(msg.token)) !== null;
        return;
      case 'setLanguage': {
        const problem = checkTarget(manager, session, msg.targetLanguage);
        if (problem) {
          throw new BabelcastError(
            problem.code === CloseCode.UNSUPPORTED_PAIR
              ? ErrorCode.UNSUPPORTED_PAIR
              : ErrorCode.UNSUPPORTED_LANGUAGE,
            problem.reason,
          );
        }
        language = msg.targetLanguage;
        session.hub.setLanguage(id, language);
        sendJson(ws, { type: 'languageChanged', targetLanguage: language });
        session.hub.replay(id, -1, config.limits.joinReplay);
        return;
      }
      case 'replay':
        session.hub.replay(id, msg.since);
        return;
      case 'ping':
        sendJson(ws, { type: 'pong', t: msg.t, serverTime: Date.now() });
        return;
    }
  };

  const onMessage = (data: Buffer, isBinary: boolean) => {
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
    Promise.resolve()
      .then(() => handle(parseControl(data, listenerClientMessage, LISTENER_TYPES)))
      .catch((err) => {
        const e =
          err instanceof BabelcastError ? err : new BabelcastError(ErrorCode.INTERNAL, 'internal error');
        sendError(ws, e);
        if (budget.spend(e.code)) refuse(CloseCode.PROTOCOL_ERROR, 'too many invalid messages');
      });
  };
  ws.on('message', onMessage);
  ws.on('error', (err) => log.warn({ err }, 'listener socket error'));
  ws.on('close', () => {
    session?.hub.removeListener(id);
  });

  (async () => {
    const s = await sessionOrRefuse(manager, sessionId, refuse);
    if (!s) return;
    const problem = checkTarget(manager, s, target);
    if (problem) {
      refuse(problem.code, problem.reason);
      return;
    }
    authenticated = (await auth.authenticate(bearerFrom(request.headers.authorization))) !== null;
    if (ws.readyState !== ws.OPEN) return;
    session = s;
    s.hub.addListener(id, sink, language);
    sendJson(ws, {
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      session: await manager.info(s.snapshot),
      targetLanguage: language,
      authenticated,
      seq: s.hub.seq,
      audio: { codec, sampleRate, frameDurationMs },
    });
    if (since === null) s.hub.replay(id, -1, config.limits.joinReplay);
    else s.hub.replay(id, since);
    for (const data of early.splice(0)) onMessage(data, false);
  })().catch((err) => {
    log.error({ err }, 'listener join failed');
    refuse(CloseCode.INTERNAL_ERROR, 'internal error');
  });
}
