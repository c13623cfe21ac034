/**
 * Answers written straight to a socket, for requests that never reach a route: a malformed request
 * line or headers (Node's `clientError`), and WebSocket upgrades that are refused (bad URL, unknown
 * path, bad handshake headers, shutting down). Same body as every other error:
 * `{"error":{"code","message"}}`. The socket is always destroyed afterwards, also when the peer
 * never reads, so a bad request can never leave a socket behind.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode, HttpErrorBody } from '@babelcast/protocol';

/** How long a refused socket may take to flush its answer before it is destroyed regardless. */
const FLUSH_MS = 1000;

export function writeRawError(
  socket: Duplex,
  status: number,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } } satisfies HttpErrorBody);
  const head = {
    Connection: 'close',
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    ...headers,
  };
  const lines = Object.entries(head).map(([k, v]) => `${k}: ${v}`);
  const timer = setTimeout(() => socket.destroy(), FLUSH_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('finish', () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${lines.join('\r\n')}\r\n\r\n${body}`);
}
