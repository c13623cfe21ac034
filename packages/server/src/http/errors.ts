import type { Socket } from 'node:net';
import { BabelcastError, ErrorCode, type HttpErrorBody } from '@babelcast/protocol';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { writeRawError } from './raw-response.ts';

/** Messages that echo the request (a 20 kB URL, say) are cut to this length. */
const MAX_MESSAGE = 200;

function clip(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
}

/**
 * Every HTTP error leaves as `{ error: { code, message } }` with a stable code: errors thrown by
 * routes, and (as `frameworkErrors`) the framework's own before routing, e.g. a malformed URL
 * (400) or a path segment over the length limit (414).
 */
export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  let status = 500;
  let body: HttpErrorBody;
  if (err instanceof BabelcastError) {
    status = err.status;
    body = { error: { code: err.code, message: err.message } };
  } else if (err instanceof ZodError) {
    status = 400;
    body = {
      error: {
        code: ErrorCode.VALIDATION,
        message: clip(err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')),
        details: err.issues,
      },
    };
  } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode < 500) {
    status = err.statusCode;
    const code =
      status === 413
        ? ErrorCode.PAYLOAD_TOO_LARGE
        : status === 404
          ? ErrorCode.NOT_FOUND
          : status === 429
            ? ErrorCode.RATE_LIMITED
            : ErrorCode.BAD_REQUEST;
    body = { error: { code, message: clip(err.message) } };
  } else {
    request.log.error({ err }, 'unhandled error');
    body = { error: { code: ErrorCode.INTERNAL, message: 'internal server error' } };
  }
  void reply.status(status).send(body);
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  const body: HttpErrorBody = {
    error: { code: ErrorCode.NOT_FOUND, message: clip(`no route for ${request.method} ${request.url}`) },
  };
  void reply.status(404).send(body);
}

/**
 * Requests Node's HTTP parser refuses before the framework sees them (garbage request line,
 * headers over 16 KiB, a request that took too long): same body, then the socket is destroyed.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) {
    socket.destroy();
    return;
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    writeRawError(socket, 431, ErrorCode.BAD_REQUEST, 'request line and headers exceed 16 KiB');
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    writeRawError(socket, 408, ErrorCode.BAD_REQUEST, 'request not received in time');
  } else {
    writeRawError(socket, 400, ErrorCode.BAD_REQUEST, 'malformed HTTP request');
  }
}
