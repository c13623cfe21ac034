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
  const clip = readWavFile(speechClip('long-en-02.wav')).samples;
  const want = options.durationS * 16000;
  const loops: Int16Array[] = [];
  for (let n = 0; n < want; n += clip.length) loops.push(clip);
  const samples = concatInt16(loops).subarray(0, want);

  const server = await ServerProcess.start({
    engines: { preset: 'fake', codec: 'opus' },
    config: { rateLimits: LOOPBACK_CROWD },
  });
  const swarms = [await Swarm.start(), await Swarm.start()];
  const memory: Array<{ s: number; rssMb: number }> = [];
  let timer: NodeJS.Timeout | null = null;
  try {
    let connectedSessions = 0;
    let allConnected!: () => void;
    const everyoneIn = new Promise<void>((r) => {
      allConnected = r;
    });
    let first: Usage | null = null;
    // Set before the first await: every session reaches this point together, and only one may
    // start the memory sampler (a second interval would never be cleared and keep the process alive).
    let sampling = false;
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
            if (!sampling) {
              sampling = true;
              first = await server.usage();
              const t0 = Date.now();
              timer = setInterval(async () => {
                const u = await server.usage().catch(() => null);
                if (u) memory.push({ s: Math.round((Date.now() - t0) / 1000), rssMb: mb(u.rss) });
              }, 5000);
            }
          },
        }),
      ),
    );
    if (timer) clearInterval(timer);
    const last = await server.usage();
    const metrics = await server.request<{
      audioDropped: number;
      slowConsumers: number;
      engineFailures: number;
    }>('metrics');
    const reports: SwarmReport[] = await Promise.all(swarms.map((s) => s.report([])));
    // Reference: what each session's own listener received (all sessions play the same audio).
    // Captions only: the swarm's listeners do not count drafts (transient, dropped for a slow socket).
    const refCaptions = Math.min(
      ...runs.map((r) => r.events.filter((e) => e.type !== 'audio' && e.type !== 'draft').length),
    );
    const refAudio = Math.min(...runs.map((r) => r.events.filter((e) => e.type === 'audio').length));
    const minCaptions = Math.min(...reports.map((r) => r.minCaptions));
    const minAudio = Math.min(...reports.map((r) => r.minAudio));
    // Latency over time: translation latency of the first vs the last third of each run.
    const thirds = (pick: (r: ReplayResult) => Array<{ at: number; v: number }>) => {
      const early: number[] = [];
      const late: number[] = [];
      for (const r of runs) {
        for (const { at, v } of pick(r)) {
          if (at < (r.summary.inputMs * 1) / 3) early.push(v);
          else if (at > (r.summary.inputMs * 2) / 3) late.push(v);
        }
      }
      return { first: percentiles(early), last: percentiles(late) };
    };
    const translation = thirds((r) =>
      r.events
        .filter((e) => e.type === 'translation')
        .map((e, i) => ({ at: e.mediaEndMs, v: r.samples.translation[i]! })),
    );
    const rssFirst = memory.slice(0, Math.max(1, Math.floor(memory.length / 3)));
    const rssLast = memory.slice(-Math.max(1, Math.floor(memory.length / 3)));
    const avg = (xs: Array<{ rssMb: number }>) =>
      xs.reduce((n, x) => n + x.rssMb, 0) / Math.max(1, xs.length);
    const growthMb = Math.round((avg(rssLast) - avg(rssFirst)) * 10) / 10;
    // Listeners are closed with SESSION_ENDED (4410) when each replay ends its session: not a loss.
    const closed = reports.reduce(
      (n, r) => n + Object.entries(r.closed).reduce((a, [code, c]) => a + (code === '4410' ? 0 : c), 0),
      0,
    );
    return {
      sessions: options.sessions,
      listenersPerSession: options.listenersPerSession,
      durationS: options.durationS,
      captionsPerListener: refCaptions,
      audioPacketsPerListener: refAudio,
      captionsLostWorstListener: Math.max(0, refCaptions - minCaptions),
      audioLostWorstListener: Math.max(0, refAudio - minAudio),
      listenersDisconnected: closed,
      audioDroppedByHub: metrics.audioDropped,
      slowConsumerDisconnects: metrics.slowConsumers,
      engineFailures: metrics.engineFailures,
      translationLatencyMs: translation,
      serverCpuPct: first ? cpuPercent(first, last) : null,
      rss: {
        samples: memory,
        firstThirdMb: Math.round(avg(rssFirst)),
        lastThirdMb: Math.round(avg(rssLast)),
        growthMb,
      },
    };
  } finally {
    if (timer) clearInterval(timer);
    await Promise.all(swarms.map((s) => s.stop().catch(() => {})));
    await server.stop().catch(() => {});
  }
}
