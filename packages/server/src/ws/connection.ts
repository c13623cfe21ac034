/**
 * What every WebSocket connection (speaker or listener) shares: the server's dependencies, refusing
 * with a counted close code, and the answer to a message that cannot be taken (an `error` message,
 * counted against the socket's budget of invalid messages; past it the socket is closed).
 */
import type { CodecCapabilities, LiveSession, MessageBus, Metrics, SessionRegistry } from '@babelcast/core';
import { BabelcastError, CloseCode, closeCodeOf, ErrorCode } from '@babelcast/protocol';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Authenticator } from '../auth.ts';
import type { BabelcastConfig } from '../config.ts';
import { closeHard, sendError, sendJson } from './socket-messages.ts';

/** What both kinds of connection need from the server. */
export interface SocketDeps {
  sessions: SessionRegistry;
  /** Sockets hear about their session here (the speaker socket: ASR backlog events). */
  bus: MessageBus;
  auth: Authenticator;
  metrics: Metrics;
  logger: Logger;
  config: BabelcastConfig;
  /** Announced to listeners so they know how to decode audio packets. */
  codec: CodecCapabilities;
}

export type SocketRole = 'speaker' | 'listener';

/**
 * Wraps an event handler so that an exception in it (a bug, or input nobody thought of) is logged
 * and contained to the one socket: it never reaches the process as an uncaught exception. What to
 * do with the socket is up to `onError` (close it, usually).
 */
export function guarded<A extends unknown[]>(
  log: Logger,
  what: string,
  fn: (...args: A) => void,
  onError?: (err: unknown) => void,
): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch (err) {
      log.error({ err }, `${what} failed`);
      try {
        onError?.(err);
      } catch (again) {
        log.error({ err: again }, `${what}: error handling failed`);
      }
    }
  };
}

/** Counts protocol errors; past the limit the peer is cut off. */
export class ErrorBudget {
  private count = 0;
  constructor(
    private readonly limit: number,
    private readonly metrics: Metrics,
    private readonly role: SocketRole,
  ) {}
  /** Returns true when the budget is exhausted. */
  spend(code: string): boolean {
    this.metrics.badInput.inc({ role: this.role, code });
    return ++this.count >= this.limit;
  }
}

export abstract class SocketConnection {
  protected readonly log: Logger;
  protected readonly budget: ErrorBudget;

  constructor(
    protected readonly ws: WebSocket,
    protected readonly deps: SocketDeps,
    protected readonly role: SocketRole,
  ) {
    this.log = deps.logger.child({ role });
    this.budget = new ErrorBudget(deps.config.limits.maxBadMessages, deps.metrics, role);
  }

  protected get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Close the socket with `code`, counted in `babelcast_ws_rejected_total`. */
  protected refuse(code: number, reason: string): void {
    this.deps.metrics.wsRejected.inc({ role: this.role, code: String(code) });
    closeHard(this.ws, code, reason);
  }

  protected send(message: object): void {
    sendJson(this.ws, message);
  }

  /**
   * A message that cannot be taken: answered with an `error` (its code; INTERNAL for an
   * unexpected error, which is logged here with `context`, once) and counted against the budget.
   * Past the budget the socket is closed with PROTOCOL_ERROR and `exhausted` as the reason.
   */
  protected rejectMessage(err: unknown, context: object, exhausted = 'too many invalid messages'): void {
    const e = this.asBabelcastError(err, context);
    sendError(this.ws, e);
    if (this.budget.spend(e.code)) this.refuse(CloseCode.PROTOCOL_ERROR, exhausted);
  }

  /** `err` as sent to the client; an unexpected error is logged and becomes INTERNAL. */
  protected asBabelcastError(err: unknown, context: object): BabelcastError {
    if (err instanceof BabelcastError) return err;
    this.log.error({ err, ...context }, `${this.role} message failed`);
    return new BabelcastError(ErrorCode.INTERNAL, 'internal error');
  }

  /**
   * The live session, or null after refusing the socket with the error table's close code
   * (SESSION_NOT_FOUND, SESSION_ENDED). Anything unexpected (the store failing) is thrown.
   */
  protected async sessionOrRefuse(id: string): Promise<LiveSession | null> {
    try {
      return await this.deps.sessions.require(id);
    } catch (err) {
      if (!(err instanceof BabelcastError)) throw err;
      this.refuse(closeCodeOf(err), err.message);
      return null;
    }
  }

  /** A failure outside any one message (joining, starting): logged once, closed with INTERNAL_ERROR. */
  protected failed(what: string, context: object): (err: unknown) => void {
    return (err) => {
      this.log.error({ err, ...context }, `${what} failed`);
      this.refuse(CloseCode.INTERNAL_ERROR, 'internal error');
    };
  }
}
