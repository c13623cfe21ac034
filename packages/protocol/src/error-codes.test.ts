import { describe, expect, it } from 'vitest';
import { CloseCode } from './close-codes.ts';
import { BabelcastError, closeCodeOf, ERROR_TABLE, ErrorCode } from './error-codes.ts';

describe('the error table', () => {
  it('has an HTTP status and a close code for every error code', () => {
    for (const code of Object.values(ErrorCode)) {
      expect(ERROR_TABLE[code].status, code).toBeGreaterThanOrEqual(200);
      expect(Object.values(CloseCode), code).toContain(ERROR_TABLE[code].close);
    }
  });

  it('gives a Babelcast error its status', () => {
    expect(new BabelcastError(ErrorCode.SESSION_ENDED, 'gone').status).toBe(410);
    expect(new BabelcastError(ErrorCode.OVER_CAPACITY, 'full').status).toBe(503);
  });

  it.each([
    [ErrorCode.SESSION_NOT_FOUND, CloseCode.SESSION_NOT_FOUND],
    [ErrorCode.SESSION_ENDED, CloseCode.SESSION_ENDED],
    [ErrorCode.UNSUPPORTED_LANGUAGE, CloseCode.UNSUPPORTED_LANGUAGE],
    [ErrorCode.UNSUPPORTED_PAIR, CloseCode.UNSUPPORTED_PAIR],
    [ErrorCode.LANGUAGE_NOT_OFFERED, CloseCode.UNSUPPORTED_PAIR],
    [ErrorCode.OVER_CAPACITY, CloseCode.OVER_CAPACITY],
    [ErrorCode.UNSUPPORTED_PROTOCOL, CloseCode.UNSUPPORTED_PROTOCOL],
    [ErrorCode.RATE_LIMITED, CloseCode.RATE_LIMITED],
    [ErrorCode.UNAUTHORIZED, CloseCode.UNAUTHORIZED],
    [ErrorCode.FORBIDDEN, CloseCode.FORBIDDEN],
  ])('closes a socket for %s with %i', (code, close) => {
    expect(closeCodeOf(new BabelcastError(code, 'x'))).toBe(close);
  });

  it('closes with INTERNAL_ERROR for anything that is not a Babelcast error', () => {
    expect(closeCodeOf(new Error('bug'))).toBe(CloseCode.INTERNAL_ERROR);
    expect(closeCodeOf('a string')).toBe(CloseCode.INTERNAL_ERROR);
  });
});
