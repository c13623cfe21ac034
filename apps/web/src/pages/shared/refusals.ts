/**
 * What the pages do when the server refuses them: one table for every WebSocket close code and
 * HTTP refusal, so the listener and speaker pages agree on whether to come back and how fast.
 * DOM-free, so the table has a unit test of its own.
 *
 * The server sends an `error` message just before some closes (see docs/protocol.md): 4429 is both
 * "too many invalid messages" and `BC_ERR_RATE_LIMITED`, 4422 is both an unserved pair and
 * `BC_ERR_LANGUAGE_NOT_OFFERED`. Both cases are handled the same way, so the error code only
 * refines the message.
 */
import { CloseCode, ErrorCode } from '@babelcast/protocol';
import { reconnectDelayMs } from './backoff.ts';
import type { MessageKey } from './i18n.ts';

export type Role = 'listener' | 'speaker';

/**
 * - `retry`: reconnect by itself after `delayMs` (the listener with `since`, the speaker resending
 *   what was not acknowledged).
 * - `chooseLanguage`: the listener's language is refused; stay closed until another is picked.
 * - `stop`: nothing a retry can fix; say why and stay closed.
 */
export type RefusalAction = 'retry' | 'chooseLanguage' | 'stop';

export interface Refusal {
  action: RefusalAction;
  /** Label to show (a key of the i18n dictionaries); null: the ordinary "reconnecting" status. */
  message: MessageKey | null;
  /** Backoff for the `attempt`-th retry in a row (0 first); only meaningful for `retry`. */
  delayMs(attempt: number, random?: () => number): number;
}

const jitter = (base: number, random: () => number) => Math.round(base * (0.75 + 0.5 * random()));

/** A full node: try again in about a minute, slowly, so a full room does not keep it full. */
export function overCapacityDelayMs(attempt: number, random: () => number = Math.random): number {
  return jitter(Math.min(120_000, 20_000 * 2 ** Math.max(0, attempt)), random);
}

/** Over a rate limit: back off well past the 1 s the limiter needs, spread out across a room. */
export function rateLimitedDelayMs(attempt: number, random: () => number = Math.random): number {
  return jitter(Math.min(30_000, 2_000 * 2 ** Math.max(0, attempt)), random);
}

const never = () => 0;
const retry = (message: MessageKey | null, delayMs: Refusal['delayMs']): Refusal => ({
  action: 'retry',
  message,
  delayMs,
});
const stop = (message: MessageKey | null): Refusal => ({ action: 'stop', message, delayMs: never });

/**
 * The decision for a WebSocket close. `errorCode` is the code of the last `error` message received
 * on that socket, if any.
 */
export function refusalForClose(role: Role, code: number, errorCode?: string): Refusal {
  if (errorCode === ErrorCode.OVER_CAPACITY || code === CloseCode.OVER_CAPACITY)
    return retry('overCapacity', overCapacityDelayMs);
  if (code === CloseCode.RATE_LIMITED) return retry('rateLimited', rateLimitedDelayMs);
  switch (code) {
    case CloseCode.UNSUPPORTED_PROTOCOL:
      return stop('reloadPage');
    case CloseCode.UNSUPPORTED_LANGUAGE:
    case CloseCode.UNSUPPORTED_PAIR:
      // Only a listener asks for a language; a speaker never sees these.
      return role === 'listener'
        ? { action: 'chooseLanguage', message: 'unsupportedLanguage', delayMs: never }
        : stop(null);
    case CloseCode.SESSION_NOT_FOUND:
      return stop('notFound');
    case CloseCode.SESSION_ENDED:
      return stop('ended');
    case CloseCode.BAD_REQUEST:
    case CloseCode.UNAUTHORIZED:
    case CloseCode.FORBIDDEN:
    case CloseCode.REPLACED:
      return stop(null);
    case CloseCode.SLOW_CONSUMER:
      // Reconnect with `since` straight away: the missed captions are in the server's history.
      return retry(null, reconnectDelayMs);
    default:
      // Network drop, restart (1001), timeout, internal error: quick retries.
      return retry(null, reconnectDelayMs);
  }
}

/** The decision for an HTTP answer (status and the body's error code) to a page's API call. */
export function refusalForHttp(status: number, errorCode?: string): Refusal | null {
  if (status === 503 || errorCode === ErrorCode.OVER_CAPACITY)
    return retry('overCapacity', overCapacityDelayMs);
  if (status === 429 || errorCode === ErrorCode.RATE_LIMITED) return retry('rateLimited', rateLimitedDelayMs);
  if (status === 426 || errorCode === ErrorCode.UNSUPPORTED_PROTOCOL) return stop('reloadPage');
  return null;
}
