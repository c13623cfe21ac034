import type { Logger } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sessionRecord, transcriptSegment } from '../../core/src/testing/store-conformance.ts';
import { type RetentionLogger, startRetention } from './retention.ts';
import { SqliteStore } from './sqlite-store.ts';

const HOUR = 3_600_000;
const NOW = Date.UTC(2025, 5, 1, 12);

// A pino logger is a RetentionLogger (compile-time check).
const _pinoFits = (logger: Logger): RetentionLogger => logger;

function recordingLogger() {
  const lines: { level: 'info' | 'error'; obj: object; msg: string }[] = [];
  const logger: RetentionLogger = {
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
  return { logger, lines };
}

/** Lets the promise callbacks of a finished purge run. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('startRetention', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('purges at start, then every interval, with cutoff now - retentionHours', async () => {
    vi.useFakeTimers({ now: NOW });
    const purgeOlderThan = vi.fn(async (_cutoff: number) => ({ sessions: 0, segments: 0 }));
    const stop = startRetention({ purgeOlderThan }, { retentionHours: 48, intervalMs: 10 * 60_000 });
    expect(purgeOlderThan).toHaveBeenCalledTimes(1);
    expect(purgeOlderThan).toHaveBeenLastCalledWith(NOW - 48 * HOUR);

    await vi.advanceTimersByTimeAsync(10 * 60_000 - 1);
    expect(purgeOlderThan).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(purgeOlderThan).toHaveBeenCalledTimes(2);
    expect(purgeOlderThan).toHaveBeenLastCalledWith(NOW + 10 * 60_000 - 48 * HOUR);
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(purgeOlderThan).toHaveBeenCalledTimes(5);

    stop();
    stop();
    await vi.advanceTimersByTimeAsync(5 * HOUR);
    expect(purgeOlderThan).toHaveBeenCalledTimes(5);
  });

  it('defaults to 24 hours of retention, purged hourly', async () => {
    vi.useFakeTimers({ now: NOW });
    const purgeOlderThan = vi.fn(async (_cutoff: number) => ({ sessions: 0, segments: 0 }));
    const stop = startRetention({ purgeOlderThan });
    expect(purgeOlderThan).toHaveBeenLastCalledWith(NOW - 24 * HOUR);
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(purgeOlderThan).toHaveBeenCalledTimes(2);
    expect(purgeOlderThan).toHaveBeenLastCalledWith(NOW + HOUR - 24 * HOUR);
    stop();
  });

  it('logs what it purged, stays quiet when nothing expired, and logs failures without throwing', async () => {
    vi.useFakeTimers({ now: NOW });
    const results = [
      () => Promise.resolve({ sessions: 2, segments: 40 }),
      () => Promise.resolve({ sessions: 0, segments: 0 }),
      () => Promise.reject(new Error('disk I/O error')),
      () => Promise.resolve({ sessions: 1, segments: 3 }),
    ];
    const purgeOlderThan = vi.fn(() => results.shift()?.() ?? Promise.resolve({ sessions: 0, segments: 0 }));
    const { logger, lines } = recordingLogger();
    const stop = startRetention({ purgeOlderThan }, { intervalMs: 1000, logger });
    await settle();
    await vi.advanceTimersByTimeAsync(3000);
    expect(purgeOlderThan).toHaveBeenCalledTimes(4);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'expired transcripts purged'],
      ['error', 'transcript purge failed'],
      ['info', 'expired transcripts purged'],
    ]);
    expect(lines[0]?.obj).toEqual({ sessions: 2, segments: 40, retentionHours: 24 });
    expect(lines[1]?.obj).toEqual({ err: new Error('disk I/O error') });
    stop();
  });

  it('does not stack a purge on one still running', async () => {
    vi.useFakeTimers({ now: NOW });
    let finish: (r: { sessions: number; segments: number }) => void = () => {};
    const purgeOlderThan = vi.fn(
      () =>
        new Promise<{ sessions: number; segments: number }>((resolve) => {
          finish = resolve;
        }),
    );
    const stop = startRetention({ purgeOlderThan }, { intervalMs: 1000 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(purgeOlderThan).toHaveBeenCalledTimes(1);
    finish({ sessions: 0, segments: 0 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(purgeOlderThan).toHaveBeenCalledTimes(2);
    stop();
  });

  it('does not keep the process alive', () => {
    vi.useFakeTimers({ now: NOW });
    const unref = vi.fn();
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
    setIntervalSpy.mockImplementationOnce(() => ({ unref }) as unknown as NodeJS.Timeout);
    const stop = startRetention({ purgeOlderThan: async () => ({ sessions: 0, segments: 0 }) });
    expect(unref).toHaveBeenCalledTimes(1);
    setIntervalSpy.mockRestore();
    stop();
  });

  it('rejects nonsensical options', () => {
    const store = { purgeOlderThan: async () => ({ sessions: 0, segments: 0 }) };
    expect(() => startRetention(store, { retentionHours: -1 })).toThrow(RangeError);
    expect(() => startRetention(store, { retentionHours: Number.NaN })).toThrow(RangeError);
    expect(() => startRetention(store, { intervalMs: 0 })).toThrow(RangeError);
    expect(() => startRetention(store, { intervalMs: 2 ** 31 })).toThrow(RangeError);
  });

  it('expires SQLite transcripts as the clock passes their retention', async () => {
    // better-sqlite3 purges yield with setImmediate, which stays real here.
    vi.useFakeTimers({ now: NOW, toFake: ['setInterval', 'clearInterval', 'Date'] });
    const store = SqliteStore.open({ path: ':memory:' });
    await store.createSession(sessionRecord('old-ended-001', { state: 'ended', endedAt: NOW - 25 * HOUR }));
    await store.createSession(sessionRecord('new-ended-002', { state: 'ended', endedAt: NOW - 2 * HOUR }));
    await store.createSession(sessionRecord('still-live-003', { state: 'live', updatedAt: NOW - 90 * HOUR }));
    for (const id of ['old-ended-001', 'new-ended-002', 'still-live-003']) {
      await store.appendSegment(transcriptSegment(id, 1));
    }
    const { logger, lines } = recordingLogger();
    const stop = startRetention(store, { retentionHours: 24, logger });

    await vi.waitFor(() => expect(lines).toHaveLength(1));
    expect(await store.getSession('old-ended-001')).toBeNull();
    expect(await store.getSession('new-ended-002')).not.toBeNull();

    await vi.advanceTimersByTimeAsync(22 * HOUR);
    expect(await store.getSession('new-ended-002')).not.toBeNull(); // ended exactly 24 h ago: kept
    await vi.advanceTimersByTimeAsync(HOUR);
    await vi.waitFor(() => expect(lines).toHaveLength(2));
    expect(lines[1]?.obj).toMatchObject({ sessions: 1, segments: 1 });
    expect(await store.getSession('new-ended-002')).toBeNull();
    expect(await store.listSegments('still-live-003')).toHaveLength(1);

    stop();
    await store.close();
  });
});
