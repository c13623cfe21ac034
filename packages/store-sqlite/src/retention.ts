/**
 * Transcript retention: ended sessions and their transcripts are deleted once they are older than
 * the configured number of hours. Runs once at start (catching up after downtime), then every
 * interval, on an unref'd timer so it never keeps the process alive.
 */
import type { Store } from '@babelcast/core';

/** The part of a pino logger retention uses. */
export interface RetentionLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RetentionOptions {
  /** Keep transcripts this many hours after their session ended. Default 24. */
  retentionHours?: number;
  /** How often to purge. Default hourly. */
  intervalMs?: number;
  logger?: RetentionLogger;
}

const HOUR_MS = 3_600_000;
/** setInterval fires immediately and repeatedly above this (a 32-bit signed delay). */
const MAX_INTERVAL_MS = 2 ** 31 - 1;

/** Starts periodic purging; returns a function that stops it. */
export function startRetention(
  store: Pick<Store, 'purgeOlderThan'>,
  options: RetentionOptions = {},
): () => void {
  const retentionHours = options.retentionHours ?? 24;
  const intervalMs = options.intervalMs ?? HOUR_MS;
  if (!Number.isFinite(retentionHours) || retentionHours < 0) {
    throw new RangeError(`retentionHours must be a number of hours >= 0, got ${retentionHours}`);
  }
  if (!Number.isFinite(intervalMs) || intervalMs <= 0 || intervalMs > MAX_INTERVAL_MS) {
    throw new RangeError(`intervalMs must be between 1 and ${MAX_INTERVAL_MS}, got ${intervalMs}`);
  }
  const { logger } = options;
  let running = false;
  let stopped = false;

  const run = (): void => {
    // A purge slower than the interval is not stacked: the next tick will catch up.
    if (running || stopped) return;
    running = true;
    const cutoff = Date.now() - retentionHours * HOUR_MS;
    store
      .purgeOlderThan(cutoff)
      .then(
        (purged) => {
          if (purged.sessions > 0 || purged.segments > 0) {
            logger?.info({ ...purged, retentionHours }, 'expired transcripts purged');
          }
        },
        (err: unknown) => logger?.error({ err }, 'transcript purge failed'),
      )
      .finally(() => {
        running = false;
      });
  };

  const timer = setInterval(run, intervalMs);
  timer.unref();
  run();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
