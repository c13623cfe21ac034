import { CloseCode, ErrorCode } from '@babelcast/protocol';
import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from '../src/pages/shared/backoff.ts';
import { DICTIONARIES } from '../src/pages/shared/i18n.ts';
import {
  overCapacityDelayMs,
  rateLimitedDelayMs,
  refusalForClose,
  refusalForHttp,
} from '../src/pages/shared/refusals.ts';

const mid = () => 0.5;

describe('refusalForClose: whether a page reconnects, and how fast', () => {
  it('retries a full server slowly, about a minute apart, for listener and speaker alike', () => {
    for (const role of ['listener', 'speaker'] as const) {
      const r = refusalForClose(role, CloseCode.OVER_CAPACITY, ErrorCode.OVER_CAPACITY);
      expect(r).toMatchObject({ action: 'retry', message: 'overCapacity' });
      expect(r.delayMs(0, mid)).toBe(20_000);
      expect(r.delayMs(1, mid)).toBe(40_000);
      expect(r.delayMs(10, mid)).toBe(120_000);
    }
    // The error message alone is enough, whatever close code follows it.
    expect(refusalForClose('listener', 1006, ErrorCode.OVER_CAPACITY).message).toBe('overCapacity');
  });

  it('backs off after a rate limit (4429), far slower than after a network drop', () => {
    const r = refusalForClose('listener', CloseCode.RATE_LIMITED, ErrorCode.RATE_LIMITED);
    expect(r).toMatchObject({ action: 'retry', message: 'rateLimited' });
    expect(r.delayMs(0, mid)).toBe(2_000);
    expect(r.delayMs(3, mid)).toBe(16_000);
    expect(r.delayMs(20, mid)).toBe(30_000);
    // 4429 without an error first (too many invalid messages) is handled the same way.
    expect(refusalForClose('speaker', 4429).action).toBe('retry');
    for (let a = 0; a < 6; a++) expect(rateLimitedDelayMs(a, mid)).toBeGreaterThan(reconnectDelayMs(a, mid));
  });

  it('waits for the listener to pick another language when its language is not offered', () => {
    const r = refusalForClose('listener', CloseCode.UNSUPPORTED_PAIR, ErrorCode.LANGUAGE_NOT_OFFERED);
    expect(r).toMatchObject({ action: 'chooseLanguage', message: 'unsupportedLanguage' });
    expect(refusalForClose('listener', CloseCode.UNSUPPORTED_LANGUAGE).action).toBe('chooseLanguage');
  });

  it('stops and asks for a reload on an unsupported protocol', () => {
    for (const role of ['listener', 'speaker'] as const)
      expect(refusalForClose(role, CloseCode.UNSUPPORTED_PROTOCOL)).toMatchObject({
        action: 'stop',
        message: 'reloadPage',
      });
  });

  it('reconnects a slow listener (4508) as quickly as after a network drop', () => {
    const r = refusalForClose('listener', CloseCode.SLOW_CONSUMER);
    expect(r).toMatchObject({ action: 'retry', message: null });
    expect(r.delayMs(0, mid)).toBe(reconnectDelayMs(0, mid));
    expect(refusalForClose('listener', 1006).delayMs(0, mid)).toBe(250);
    expect(refusalForClose('listener', CloseCode.GOING_AWAY).action).toBe('retry');
  });

  it('stops for refusals a retry cannot fix', () => {
    expect(refusalForClose('listener', CloseCode.SESSION_NOT_FOUND)).toMatchObject({
      action: 'stop',
      message: 'notFound',
    });
    expect(refusalForClose('listener', CloseCode.SESSION_ENDED).message).toBe('ended');
    for (const code of [
      CloseCode.BAD_REQUEST,
      CloseCode.UNAUTHORIZED,
      CloseCode.FORBIDDEN,
      CloseCode.REPLACED,
    ])
      expect(refusalForClose('speaker', code).action).toBe('stop');
  });

  it('has a label for every message in every dictionary', () => {
    const codes = [4503, 4429, 4422, 4415, 4426, 4508, 4404, 4410, 1006];
    for (const code of codes) {
      const key = refusalForClose('listener', code).message;
      if (key) for (const dict of Object.values(DICTIONARIES)) expect(dict[key]).toBeTruthy();
    }
    expect(DICTIONARIES.es!.overCapacity).not.toBe(DICTIONARIES.en!.overCapacity);
  });
});

describe('refusalForHttp', () => {
  it('maps 503, 429 and 426 to the same decisions as their close codes', () => {
    expect(refusalForHttp(503, ErrorCode.OVER_CAPACITY)).toMatchObject({
      action: 'retry',
      message: 'overCapacity',
    });
    expect(refusalForHttp(429, ErrorCode.RATE_LIMITED)).toMatchObject({
      action: 'retry',
      message: 'rateLimited',
    });
    expect(refusalForHttp(426)).toMatchObject({ action: 'stop', message: 'reloadPage' });
    expect(refusalForHttp(503)?.delayMs(0, mid)).toBe(overCapacityDelayMs(0, mid));
  });
  it('leaves other answers to the caller', () => {
    expect(refusalForHttp(400, ErrorCode.VALIDATION)).toBeNull();
    expect(refusalForHttp(404, ErrorCode.SESSION_NOT_FOUND)).toBeNull();
  });
});
