import { CloseCode } from './close-codes.ts';

/**
 * Stable error codes. They appear in HTTP error bodies (`{ error: { code, message } }`) and in
 * WebSocket `error` messages. Users and clients match on `code`; messages are for humans.
 */
export const ErrorCode = {
  BAD_REQUEST: 'BC_ERR_BAD_REQUEST',
  VALIDATION: 'BC_ERR_VALIDATION',
  UNAUTHORIZED: 'BC_ERR_UNAUTHORIZED',
  FORBIDDEN: 'BC_ERR_FORBIDDEN',
  SESSION_NOT_FOUND: 'BC_ERR_SESSION_NOT_FOUND',
  SESSION_ENDED: 'BC_ERR_SESSION_ENDED',
  INVALID_STATE: 'BC_ERR_INVALID_STATE',
  UNSUPPORTED_LANGUAGE: 'BC_ERR_UNSUPPORTED_LANGUAGE',
  UNSUPPORTED_PAIR: 'BC_ERR_UNSUPPORTED_PAIR',
  UNSUPPORTED_PROTOCOL: 'BC_ERR_UNSUPPORTED_PROTOCOL',
  BAD_FRAME: 'BC_ERR_BAD_FRAME',
  BAD_MESSAGE: 'BC_ERR_BAD_MESSAGE',
  UNKNOWN_MESSAGE: 'BC_ERR_UNKNOWN_MESSAGE',
  PAYLOAD_TOO_LARGE: 'BC_ERR_PAYLOAD_TOO_LARGE',
  NOT_AUTHENTICATED_YET: 'BC_ERR_NOT_AUTHENTICATED_YET',
  ENGINE_FAILED: 'BC_ERR_ENGINE_FAILED',
  /** Notice: the voice fell far behind the speaker and skipped ahead to the newest chunk. */
  VOICE_SKIPPED: 'BC_NOTICE_VOICE_SKIPPED',
  NOT_FOUND: 'BC_ERR_NOT_FOUND',
  /** Too many requests, connections or messages from one address or one socket: slow down. */
  RATE_LIMITED: 'BC_ERR_RATE_LIMITED',
  /** A speaker audio frame whose seq is not a plausible next one (see docs/protocol.md); refused, not acknowledged. */
  SEQ_OUT_OF_RANGE: 'BC_ERR_SEQ_OUT_OF_RANGE',
  /** The server is shutting down; try again shortly (possibly on another node). */
  SHUTTING_DOWN: 'BC_ERR_SHUTTING_DOWN',
  /** The node has no room for another session or language now; it refuses rather than degrade everyone. */
  OVER_CAPACITY: 'BC_ERR_OVER_CAPACITY',
  /** The language is served by the engines but this session does not offer it (the speaker chose). */
  LANGUAGE_NOT_OFFERED: 'BC_ERR_LANGUAGE_NOT_OFFERED',
  /** The listener asked for a voice its language does not offer (see `GET /api/languages` voices). */
  UNSUPPORTED_VOICE: 'BC_ERR_UNSUPPORTED_VOICE',
  /** Speaker audio while the session is paused: refused, not acknowledged; resume first. */
  SESSION_PAUSED: 'BC_ERR_SESSION_PAUSED',
  /** The configuration names an engine that is not registered. */
  UNKNOWN_ENGINE: 'BC_ERR_UNKNOWN_ENGINE',
  /** An engine's options are inconsistent (e.g. a language without a voice); found at start-up. */
  ENGINE_CONFIG: 'BC_ERR_ENGINE_CONFIG',
  INTERNAL: 'BC_ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The one error table: how each code is answered over HTTP (status) and, when it ends a
 * WebSocket, with which close code. Close codes mirror the HTTP status where one exists (see
 * close-codes.ts); codes that only ever refuse one message (a bad frame, a paused session) close
 * with BAD_REQUEST if they close at all, and the socket's invalid-message budget decides that.
 */
export const ERROR_TABLE: Record<ErrorCode, { readonly status: number; readonly close: CloseCode }> = {
  BC_ERR_BAD_REQUEST: { status: 400, close: CloseCode.BAD_REQUEST },
  BC_ERR_VALIDATION: { status: 400, close: CloseCode.BAD_REQUEST },
  BC_ERR_UNAUTHORIZED: { status: 401, close: CloseCode.UNAUTHORIZED },
  BC_ERR_FORBIDDEN: { status: 403, close: CloseCode.FORBIDDEN },
  BC_ERR_SESSION_NOT_FOUND: { status: 404, close: CloseCode.SESSION_NOT_FOUND },
  BC_ERR_SESSION_ENDED: { status: 410, close: CloseCode.SESSION_ENDED },
  BC_ERR_INVALID_STATE: { status: 409, close: CloseCode.BAD_REQUEST },
  BC_ERR_UNSUPPORTED_LANGUAGE: { status: 422, close: CloseCode.UNSUPPORTED_LANGUAGE },
  BC_ERR_UNSUPPORTED_PAIR: { status: 422, close: CloseCode.UNSUPPORTED_PAIR },
  BC_ERR_UNSUPPORTED_PROTOCOL: { status: 426, close: CloseCode.UNSUPPORTED_PROTOCOL },
  BC_ERR_BAD_FRAME: { status: 400, close: CloseCode.BAD_REQUEST },
  BC_ERR_BAD_MESSAGE: { status: 400, close: CloseCode.BAD_REQUEST },
  BC_ERR_UNKNOWN_MESSAGE: { status: 400, close: CloseCode.BAD_REQUEST },
  BC_ERR_PAYLOAD_TOO_LARGE: { status: 413, close: CloseCode.MESSAGE_TOO_BIG },
  BC_ERR_NOT_AUTHENTICATED_YET: { status: 401, close: CloseCode.BAD_REQUEST },
  BC_ERR_ENGINE_FAILED: { status: 502, close: CloseCode.INTERNAL_ERROR },
  // A notice, never a reason to close; listed so that the table is total.
  BC_NOTICE_VOICE_SKIPPED: { status: 200, close: CloseCode.NORMAL },
  BC_ERR_NOT_FOUND: { status: 404, close: CloseCode.BAD_REQUEST },
  BC_ERR_RATE_LIMITED: { status: 429, close: CloseCode.RATE_LIMITED },
  BC_ERR_SEQ_OUT_OF_RANGE: { status: 400, close: CloseCode.BAD_REQUEST },
  BC_ERR_SHUTTING_DOWN: { status: 503, close: CloseCode.GOING_AWAY },
  BC_ERR_OVER_CAPACITY: { status: 503, close: CloseCode.OVER_CAPACITY },
  // The speaker's session does not offer the language: refused like a pair the engines lack.
  BC_ERR_LANGUAGE_NOT_OFFERED: { status: 422, close: CloseCode.UNSUPPORTED_PAIR },
  // Refuses one message (the voice stays as it was); never closes a socket by itself.
  BC_ERR_UNSUPPORTED_VOICE: { status: 422, close: CloseCode.BAD_REQUEST },
  BC_ERR_SESSION_PAUSED: { status: 409, close: CloseCode.BAD_REQUEST },
  BC_ERR_UNKNOWN_ENGINE: { status: 500, close: CloseCode.INTERNAL_ERROR },
  BC_ERR_ENGINE_CONFIG: { status: 500, close: CloseCode.INTERNAL_ERROR },
  BC_ERR_INTERNAL: { status: 500, close: CloseCode.INTERNAL_ERROR },
};

/** An error carrying a stable code; thrown inside the server and mapped to HTTP/WS answers. */
export class BabelcastError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BabelcastError';
    this.code = code;
    this.status = ERROR_TABLE[code].status;
  }
}

/**
 * The close code a socket ends with because of `err`: the table's, for a Babelcast error;
 * INTERNAL_ERROR for anything else (a bug, which the caller logs).
 */
export function closeCodeOf(err: unknown): CloseCode {
  return err instanceof BabelcastError ? ERROR_TABLE[err.code].close : CloseCode.INTERNAL_ERROR;
}
