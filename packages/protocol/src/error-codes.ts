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
  /** Speaker audio while the session is paused: refused, not acknowledged; resume first. */
  SESSION_PAUSED: 'BC_ERR_SESSION_PAUSED',
  INTERNAL: 'BC_ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status used when an error code is returned over HTTP. */
export const ERROR_HTTP_STATUS: Record<ErrorCode, number> = {
  BC_ERR_BAD_REQUEST: 400,
  BC_ERR_VALIDATION: 400,
  BC_ERR_UNAUTHORIZED: 401,
  BC_ERR_FORBIDDEN: 403,
  BC_ERR_SESSION_NOT_FOUND: 404,
  BC_ERR_SESSION_ENDED: 410,
  BC_ERR_INVALID_STATE: 409,
  BC_ERR_UNSUPPORTED_LANGUAGE: 422,
  BC_ERR_UNSUPPORTED_PAIR: 422,
  BC_ERR_UNSUPPORTED_PROTOCOL: 426,
  BC_ERR_BAD_FRAME: 400,
  BC_ERR_BAD_MESSAGE: 400,
  BC_ERR_UNKNOWN_MESSAGE: 400,
  BC_ERR_PAYLOAD_TOO_LARGE: 413,
  BC_ERR_NOT_AUTHENTICATED_YET: 401,
  BC_ERR_ENGINE_FAILED: 502,
  BC_NOTICE_VOICE_SKIPPED: 200,
  BC_ERR_NOT_FOUND: 404,
  BC_ERR_RATE_LIMITED: 429,
  BC_ERR_SEQ_OUT_OF_RANGE: 400,
  BC_ERR_SHUTTING_DOWN: 503,
  BC_ERR_OVER_CAPACITY: 503,
  BC_ERR_LANGUAGE_NOT_OFFERED: 422,
  BC_ERR_SESSION_PAUSED: 409,
  BC_ERR_INTERNAL: 500,
};

/** An error carrying a stable code; thrown inside the server and mapped to HTTP/WS answers. */
export class BabelcastError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BabelcastError';
    this.code = code;
    this.status = ERROR_HTTP_STATUS[code];
  }
}
