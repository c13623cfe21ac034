import { BabelcastError, ErrorCode, type HttpErrorBody } from '@babelcast/protocol';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';

/** Every HTTP error leaves as `{ error: { code, message } }` with a stable code. */
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
        message: err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
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
          : ErrorCode.BAD_REQUEST;
    body = { error: { code, message: err.message } };
  } else {
    request.log.error({ err }, 'unhandled error');
    body = { error: { code: ErrorCode.INTERNAL, message: 'internal server error' } };
  }
  void reply.status(status).send(body);
}
