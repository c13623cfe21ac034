/**
 * Soak: 10 sessions × 50 listeners for a set duration (fake recogniser/translator/voice, real
 * Opus), each session a speaker replaying the dev clips in a loop in real time. Checks that
 * nothing is lost (every listener of a session got as many captions and audio packets as the
 * reference listener), memory is flat and latency does not grow (first vs last third).
 */
import { concatInt16, readWavFile } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import { percentiles, type ReplayResult, replay } from '@babelcast/cli/replay';
import { cpuPercent, mb, ServerProcess, type Usage } from '../lib/server-client.ts';
import { Swarm, type SwarmReport } from '../lib/swarm-client.ts';
import { LOOPBACK_CROWD } from './fanout.ts';

export interface SoakOptions {
  sessions: number;
  listenersPerSession: number;
  durationS: number;
  log: (line: string) => void;
}

export async function runSoak(options: SoakOptions) {
  const samples = loopedClip(options.durationS);
  const server = await ServerProcess.start({
    engines: { preset: 'fake', codec: 'opus' },
    config: { rateLimits: LOOPBACK_CROWD },
  });
  const swarms = [await Swarm.start(), await Swarm.start()];
  const memory = new MemorySampler(server);
  try {
    let connectedSessions = 0;
    let allConnected!: () => void;
    const everyoneIn = new Promise<void>((r) => {
      allConnected = r;
    });
    const runs: ReplayResult[] = await Promise.all(
      Array.from({ length: options.sessions }, (_, i) =>
        replay({
          samples,
          source: 'en',
          listen: ['es'],
          server: { url: server.url, token: server.token },
          settleMs: 2000,
          beforeStreaming: async (sessionId) => {
            const url = `${server.url.replace(/^http/, 'ws')}/ws/listener?session=${sessionId}&targetLanguage=es`;
            const r = await swarms[i % swarms.length]!.connect(url, options.listenersPerSession, 10);
            if (r.failed) options.log(`soak: session ${i}: ${r.failed} listeners failed to connect`);
            if (++connectedSessions === options.sessions) allConnected();
            await everyoneIn; // every speaker starts once all listeners are in
            await memory.start();
          },
        }),
      ),
    );
    memory.stop();
    const last = await server.usage();
    const metrics = await server.request<{
      audioDropped: number;
      slowConsumers: number;
      engineFailures: number;
    }>('metrics');
    const reports: SwarmReport[] = await Promise.all(swarms.map((s) => s.report([])));
    const lost = losses(runs, reports);
    return {
      sessions: options.sessions,
      listenersPerSession: options.listenersPerSession,
      durationS: options.durationS,
      captionsPerListener: lost.refCaptions,
      audioPacketsPerListener: lost.refAudio,
      captionsLostWorstListener: Math.max(0, lost.refCaptions - lost.minCaptions),
      audioLostWorstListener: Math.max(0, lost.refAudio - lost.minAudio),
      listenersDisconnected: unexpectedCloses(reports),
      audioDroppedByHub: metrics.audioDropped,
      slowConsumerDisconnects: metrics.slowConsumers,
      engineFailures: metrics.engineFailures,
      translationLatencyMs: translationLatencyByThird(runs),
      serverCpuPct: memory.first ? cpuPercent(memory.first, last) : null,
      rss: memoryGrowth(memory.samples),
    };
  } finally {
    memory.stop();
    await Promise.all(swarms.map((s) => s.stop().catch(() => {})));
    await server.stop().catch(() => {});
  }
}

/** The dev clip looped to `durationS` seconds. */
function loopedClip(durationS: number): Int16Array {
  const clip = readWavFile(speechClip('long-en-02.wav')).samples;
  const want = durationS * 16000;
  const loops: Int16Array[] = [];
  for (let n = 0; n < want; n += clip.length) loops.push(clip);
  return concatInt16(loops).subarray(0, want);
}

/** The server's RSS every 5 s from when every speaker starts, and its usage at that start. */
class MemorySampler {
  readonly samples: Array<{ s: number; rssMb: number }> = [];
  first: Usage | null = null;
  private timer: NodeJS.Timeout | null = null;
  private started = false;

  constructor(private readonly server: ServerProcess) {}

  /**
   * Once, whichever session gets here first. `started` is set before the first await: every
   * session reaches this together, and a second interval would never be cleared and would keep
   * the process alive.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.first = await this.server.usage();
    const t0 = Date.now();
    this.timer = setInterval(async () => {
      const u = await this.server.usage().catch(() => null);
      if (u) this.samples.push({ s: Math.round((Date.now() - t0) / 1000), rssMb: mb(u.rss) });
    }, 5000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/**
 * What each session's own listener received (the reference: all sessions play the same audio)
 * and the least any crowd listener received. Captions only: the swarm's listeners do not count
 * drafts (transient, dropped for a slow socket).
 */
function losses(runs: ReplayResult[], reports: SwarmReport[]) {
  return {
    refCaptions: Math.min(
      ...runs.map((r) => r.events.filter((e) => e.type !== 'audio' && e.type !== 'draft').length),
    ),
    refAudio: Math.min(...runs.map((r) => r.events.filter((e) => e.type === 'audio').length)),
    minCaptions: Math.min(...reports.map((r) => r.minCaptions)),
    minAudio: Math.min(...reports.map((r) => r.minAudio)),
  };
}

/** Latency over time: translation latency of the first vs the last third of each run. */
function translationLatencyByThird(runs: ReplayResult[]) {
  const early: number[] = [];
  const late: number[] = [];
  for (const r of runs) {
    const translations = r.events
      .filter((e) => e.type === 'translation')
      .map((e, i) => ({ at: e.mediaEndMs, v: r.samples.translation[i]! }));
    for (const { at, v } of translations) {
      if (at < (r.summary.inputMs * 1) / 3) early.push(v);
      else if (at > (r.summary.inputMs * 2) / 3) late.push(v);
    }
  }
  return { first: percentiles(early), last: percentiles(late) };
}

/** RSS of the first third of the samples against the last third. */
function memoryGrowth(samples: Array<{ s: number; rssMb: number }>) {
  const rssFirst = samples.slice(0, Math.max(1, Math.floor(samples.length / 3)));
  const rssLast = samples.slice(-Math.max(1, Math.floor(samples.length / 3)));
  const avg = (xs: Array<{ rssMb: number }>) => xs.reduce((n, x) => n + x.rssMb, 0) / Math.max(1, xs.length);
  return {
    samples,
    firstThirdMb: Math.round(avg(rssFirst)),
    lastThirdMb: Math.round(avg(rssLast)),
    growthMb: Math.round((avg(rssLast) - avg(rssFirst)) * 10) / 10,
  };
}

/** Listeners closed for another reason than SESSION_ENDED (4410: each replay ends its session). */
function unexpectedCloses(reports: SwarmReport[]): number {
  return reports.reduce(
    (n, r) => n + Object.entries(r.closed).reduce((a, [code, c]) => a + (code === '4410' ? 0 : c), 0),
    0,
  );
}
