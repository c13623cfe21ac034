/** What the cluster measurements share: the clip, the machine's load, and the workers' counters. */
import { loadavg } from 'node:os';
import { readWavFile } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import type { ClusterNode } from '../lib/cluster-client.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const wallMs = () => performance.timeOrigin + performance.now();
export const round = (x: number) => Math.round(x);

export function median(xs: Array<number | null>): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number').sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : round((v[m - 1]! + v[m]!) / 2);
}

export function clipSamples(clip: string, seconds: number): Int16Array {
  const wav = readWavFile(speechClip(clip));
  if (wav.sampleRate !== 16000 || wav.channels !== 1) throw new Error(`${clip} is not 16 kHz mono`);
  return wav.samples.slice(0, Math.round(seconds * 16000));
}

export const load1m = () => Math.round(loadavg()[0]! * 100) / 100;

/** Takeovers and missing frames counted by each worker so far (null where it does not answer). */
export const workerCounters = (workers: ClusterNode[]) =>
  Promise.all(
    workers.map(async (w) => ({
      takeovers: await w.metric('babelcast_worker_takeovers_total'),
      gapFrames: await w.metric('babelcast_worker_audio_gap_frames_total'),
    })),
  );

/** Sum over workers of the increase between two workerCounters() samples. */
export function counterDelta(
  a: Awaited<ReturnType<typeof workerCounters>>,
  b: Awaited<ReturnType<typeof workerCounters>>,
) {
  const d = (k: 'takeovers' | 'gapFrames') =>
    a.reduce((n, x, i) => n + ((b[i]?.[k] ?? x[k] ?? 0) - (x[k] ?? 0)), 0);
  return { takeovers: d('takeovers'), gapFrames: d('gapFrames') };
}

/** Workers' session counts, in the order given. */
export const counts = (workers: ClusterNode[]) => Promise.all(workers.map((w) => w.sessions()));

/**
 * Counts once the workers have let go of the sessions earlier steps ended (a worker finishes an
 * ended session's audio before it releases it), at most `ms`: the baseline of a measurement.
 */
export async function idleCounts(workers: ClusterNode[], ms = 20_000): Promise<number[]> {
  const deadline = Date.now() + ms;
  let c = await counts(workers);
  while (c.some((x) => x > 0) && Date.now() < deadline) {
    await sleep(250);
    c = await counts(workers);
  }
  return c;
}
