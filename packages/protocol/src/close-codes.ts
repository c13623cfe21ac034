/**
 * WebSocket close codes used by Babelcast. 4000–4999 is the range RFC 6455 leaves to applications;
 * we mirror HTTP status numbers in the last three digits so a code reads like the HTTP answer it
 * stands for. Clients match on the number; the close reason is for humans and may change.
 */
export const CloseCode = {
  /** Normal end: the session ended or the client said goodbye. */
  NORMAL: 1000,
  /** The server is shutting down; reconnect later (possibly to another node). */
  GOING_AWAY: 1001,
  /** A frame or message was larger than the limit. */
  MESSAGE_TOO_BIG: 1009,
  /** Query string or first message was malformed (missing session, bad parameters). */
  BAD_REQUEST: 4400,
  /** Speaker connection without valid credentials. */
  UNAUTHORIZED: 4401,
  /** Authenticated, but not allowed: e.g. not the owner of the session. */
  FORBIDDEN: 4403,
  /** No session with that id. */
  SESSION_NOT_FOUND: 4404,
  /** The client did not authenticate/say hello in time, or a stuck listener timed out. */
  TIMEOUT: 4408,
  /** Another speaker connection took over this session. */
  REPLACED: 4409,
  /** The session has ended and can no longer be joined or spoken into. */
  SESSION_ENDED: 4410,
  /** Protocol version not supported. */
  UNSUPPORTED_PROTOCOL: 4426,
  /** The requested target language is not one Babelcast knows. */
  UNSUPPORTED_LANGUAGE: 4415,
  /** The language is known, but the configured engines cannot translate source→target. */
  UNSUPPORTED_PAIR: 4422,
  /** Too many invalid messages; the peer is misbehaving. */
  PROTOCOL_ERROR: 4429,
  /**
   * Same number as PROTOCOL_ERROR (4429, "too many"): too many connections from one address, or
   * messages on one socket over the rate limit. The `error` message sent before it says which
   * (`BC_ERR_RATE_LIMITED`). Clients reconnect with backoff.
   */
  RATE_LIMITED: 4429,
  /** The listener could not keep up (send buffer stayed full); it may reconnect with `since`. */
  SLOW_CONSUMER: 4508,
  /** Unexpected server error. */
  INTERNAL_ERROR: 4500,
  /**
   * The node is at capacity: a speaker whose session cannot go live, or a listener whose language
   * would have to be added (`BC_ERR_OVER_CAPACITY`). Try again later.
   */
  OVER_CAPACITY: 4503,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Human-readable meaning of each close code, for docs and client error messages. */
export const CLOSE_CODE_MEANING: Record<CloseCode, string> = {
  [CloseCode.NORMAL]: 'normal closure',
  [CloseCode.GOING_AWAY]: 'server shutting down',
  [CloseCode.MESSAGE_TOO_BIG]: 'message too big',
  [CloseCode.BAD_REQUEST]: 'bad request',
  [CloseCode.UNAUTHORIZED]: 'speaker credentials missing or invalid',
  [CloseCode.FORBIDDEN]: 'not allowed (not the session owner)',
  [CloseCode.SESSION_NOT_FOUND]: 'session not found',
  [CloseCode.TIMEOUT]: 'timed out',
  [CloseCode.REPLACED]: 'replaced by a newer speaker connection',
  [CloseCode.SESSION_ENDED]: 'session ended',
  [CloseCode.UNSUPPORTED_PROTOCOL]: 'unsupported protocol version',
  [CloseCode.UNSUPPORTED_LANGUAGE]: 'unsupported language',
  [CloseCode.UNSUPPORTED_PAIR]: 'language pair not served by the configured engines',
  [CloseCode.PROTOCOL_ERROR]: 'too many invalid messages, or over a rate limit',
  [CloseCode.SLOW_CONSUMER]: 'listener too slow',
  [CloseCode.INTERNAL_ERROR]: 'internal error',
  [CloseCode.OVER_CAPACITY]: 'server at capacity',
};
