/**
 * What goes over one WebSocket: JSON control messages in (parsed and validated, with a stable
 * error code for each way they can be wrong) and out, binary sends through the hub's ClientSink,
 * and closing, bounded so that a peer that stopped reading cannot hold the socket open.
 */
import type { ClientSink } from '@babelcast/core';
import { BabelcastError, ErrorCode, MAX_CONTROL_MESSAGE_BYTES } from '@babelcast/protocol';
import type { WebSocket } from 'ws';
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
