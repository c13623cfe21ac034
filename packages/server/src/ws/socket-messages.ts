import type {
  ClientSink,
  CodecCapabilities,
  LiveSession,
  MessageBus,
  Metrics,
  SessionManager,
} from '@babelcast/core';
import { BabelcastError, CloseCode, ErrorCode, MAX_CONTROL_MESSAGE_BYTES } from '@babelcast/protocol';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Authenticator } from '../auth.ts';
import type { BabelcastConfig } from '../config.ts';

/** What both socket handlers need from the server. */
export interface SocketDeps {
  manager: SessionManager;
  /** Sockets hear about their session here (the speaker socket: ASR backlog events). */
  bus: MessageBus;
  auth: Authenticator;
  metrics: Metrics;
  logger: Logger;
  config: BabelcastConfig;
  /** Announced to listeners so they know how to decode audio packets. */
  codec: CodecCapabilities;
}
import type { z } from 'zod';

export function sinkFor(ws: WebSocket): ClientSink {
  return {
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    sendText(data) {
      if (ws.readyState === ws.OPEN) ws.send(data);
    },
    sendBinary(data) {
      if (ws.readyState === ws.OPEN) ws.send(data, { binary: true });
    },
    close(code, reason) {
      closeWith(ws, code, reason);
    },
  };
}

/** Close reasons are limited to 123 bytes by RFC 6455. */
export function closeWith(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === ws.CLOSED || ws.readyState === ws.CLOSING) return;
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  ws.close(code, r);
}

/**
 * Close, and drop the TCP connection if the peer has not finished the closing handshake within
 * `graceMs`: a peer that does not read (the reason it is being closed, often) never answers, and
 * ws would otherwise hold the socket and everything queued on it for 30 s.
 */
export function closeHard(ws: WebSocket, code: number, reason: string, graceMs = 1000): void {
  closeWith(ws, code, reason);
  const timer = setTimeout(() => ws.terminate(), graceMs);
  timer.unref();
  ws.once('close', () => clearTimeout(timer));
}

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

export function sendJson(ws: WebSocket, message: object): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}

export function sendError(ws: WebSocket, err: BabelcastError): void {
  sendJson(ws, { type: 'error', code: err.code, message: err.message });
}

/** Parse and validate a JSON control message; throws BabelcastError with a stable code. */
export function parseControl<T>(data: Buffer, schema: z.ZodType<T>, knownTypes: readonly string[]): T {
  if (data.byteLength > MAX_CONTROL_MESSAGE_BYTES) {
    throw new BabelcastError(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `control message of ${data.byteLength} bytes exceeds ${MAX_CONTROL_MESSAGE_BYTES}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    throw new BabelcastError(ErrorCode.BAD_MESSAGE, 'message is not valid JSON');
  }
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !knownTypes.includes(type)) {
    throw new BabelcastError(
      ErrorCode.UNKNOWN_MESSAGE,
      `unknown message type ${JSON.stringify(type ?? null)}`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new BabelcastError(
      ErrorCode.VALIDATION,
      `invalid "${type}" message: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** Counts protocol errors; past the limit the peer is cut off. */
export class ErrorBudget {
  private count = 0;
  constructor(
    private readonly limit: number,
    private readonly metrics: Metrics,
    private readonly role: 'speaker' | 'listener',
  ) {}
  /** Returns true when the budget is exhausted. */
  spend(code: string): boolean {
    this.metrics.badInput.inc({ role: this.role, code });
    return ++this.count >= this.limit;
  }
}

/** The live session, or null after refusing the socket with SESSION_NOT_FOUND / SESSION_ENDED. */
export async function sessionOrRefuse(
  manager: SessionManager,
  id: string,
  refuse: (code: number, reason: string) => void,
): Promise<LiveSession | null> {
  try {
    return await manager.require(id);
  } catch (err) {
    const ended = err instanceof BabelcastError && err.code === ErrorCode.SESSION_ENDED;
    refuse(ended ? CloseCode.SESSION_ENDED : CloseCode.SESSION_NOT_FOUND, (err as Error).message);
    return null;
  }
}
