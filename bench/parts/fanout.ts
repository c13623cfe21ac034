/**
 * Fan-out: one session, N listeners in separate processes on loopback, for growing N until it
 * breaks. Fake recogniser/translator/voice (so only the hub is measured) with the real Opus codec
 * (so audio packets have their real size). The delay is from the moment the pipeline publishes a
 * caption or audio packet on the session bus to the moment a listener process receives it: what
 * the hub, `ws` and the kernel add, plus the listener processes' own scheduling on this machine.
 */
import { replay } from '../../packages/cli/src/replay/index.ts';
import { speechClip } from '@babelcast/core/testing';
import { Histogram } from '../lib/histogram.ts';
import { cpuPercent, mb, ServerProcess } from '../lib/server-client.ts';
import { Swarm, type SwarmReport } from '../lib/swarm-client.ts';

export interface FanoutStep {
  listeners: number;
  connected: number;
  connectFailed: number;
  connectMs: number;
  captionDelayMs: ReturnType<Histogram['summary']>;
  audioDelayMs: ReturnType<Histogram['summary']>;
  captionsPublished: number;
  audioPublished: number;
  captionsLost: number;
  audioDropped: number;
  audioDroppedPct: number;
  slowConsumerDisconnects: number;
  serverCpuPct: number;
  serverRssMb: number;
  serverRssPeakMb: number;
  listenerProcessCpuPct: number[];
  held: boolean;
  why: string;
}

export interface FanoutOptions {
  steps: number[];
  clip: string;
  processes: number;
  log: (line: string) => void;
  /** One step (tests replace it); default: start a server and the listener processes. */
  runStep?: (
    n: number,
    options: FanoutOptions,
  ) => Promise<{ result: FanoutStep; engines: Record<string, string> }>;
}

/**
 * Every listener here connects from 127.0.0.1: the per-address limits meant for one venue's NAT
 * would measure the limiter, not the hub.
 */
export const LOOPBACK_CROWD = {
  wsConnect: { perSecond: 100_000, burst: 100_000 },
  http: { perSecond: 100_000, burst: 100_000 },
  maxListenersPerAddress: 1_000_000,
};

/** A step "breaks" when any of these is true; the ramp stops after the first broken step. */
const LIMITS = { captionP99Ms: 1000, audioDroppedPct: 1, connectFailedPct: 1 };

/** A step that threw: reported as failed (with why), never left out. */
export interface FailedFanoutStep {
  listeners: number;
  failed: true;
  error: string;
  held: false;
  why: string;
}

export async function runFanout(options: FanoutOptions): Promise<{
  steps: Array<FanoutStep | FailedFanoutStep>;
  engines: Record<string, string>;
  limits: typeof LIMITS;
  failed: Array<{ step: string; error: string }>;
}> {
  const steps: Array<FanoutStep | FailedFanoutStep> = [];
  const failed: Array<{ step: string; error: string }> = [];
  let engines: Record<string, string> = {};
  for (const n of options.steps) {
    options.log(`fan-out: ${n} listeners…`);
    let step: Awaited<ReturnType<typeof runStep>>;
    try {
      step = await (options.runStep ?? runStep)(n, options);
    } catch (err) {
      const error = (err as Error)?.message ?? String(err);
      options.log(`fan-out: ${n} listeners failed: ${error}`);
      steps.push({ listeners: n, failed: true, error, held: false, why: `failed: ${error}` });
      failed.push({ step: `${n} listeners`, error });
      break;
    }
    engines = step.engines;
    steps.push(step.result);
    const s = step.result;
    options.log(
      `  caption p50/p95/p99 ${s.captionDelayMs.p50}/${s.captionDelayMs.p95}/${s.captionDelayMs.p99} ms, audio p99 ${s.audioDelayMs.p99} ms, dropped ${s.audioDropped}, cpu ${s.serverCpuPct}%, rss ${s.serverRssPeakMb} MB${s.held ? '' : ` — broke: ${s.why}`}`,
    );
    if (!s.held) break;
  }
  return { steps, engines, limits: LIMITS, failed };
}

async function runStep(
  n: number,
  options: FanoutOptions,
): Promise<{ result: FanoutStep; engines: Record<string, string> }> {
  const server = await ServerProcess.start({
    engines: { preset: 'fake', codec: 'opus' },
    probe: true,
    config: { rateLimits: LOOPBACK_CROWD },
  });
  const swarms: Swarm[] = [];
  try {
    for (let i = 0; i < options.processes; i++) swarms.push(await Swarm.start());
    let connect = { ok: 0, failed: 0, ms: 0 };
    let before = await server.usage();
    let swarmBefore = await Promise.all(
      swarms.map((s) => s.request<{ cpuMs: number; wallMs: number }>({ cmd: 'usage' })),
    );
    await replay({
      file: speechClip(options.clip),
      source: 'en',
      listen: ['es'],
      server: { url: server.url, token: server.token },
      settleMs: 2000,
      beforeStreaming: async (sessionId) => {
        const url = `${server.url.replace(/^http/, 'ws')}/ws/listener?session=${sessionId}&targetLanguage=es`;
        const share = (i: number) => Math.floor(n / swarms.length) + (i < n % swarms.length ? 1 : 0);
        const results = await Promise.all(swarms.map((s, i) => s.connect(url, share(i))));
        connect = {
          ok: results.reduce((a, r) => a + r.ok, 0),
          failed: results.reduce((a, r) => a + r.failed, 0),
          ms: Math.max(...results.map((r) => r.ms)),
        };
        await server.request('published');
        await server.request('resetPeak');
        await Promise.all(swarms.map((s) => s.request({ cmd: 'reset' })));
        before = await server.usage();
        swarmBefore = await Promise.all(
          swarms.map((s) => s.request<{ cpuMs: number; wallMs: number }>({ cmd: 'usage' })),
        );
      },
    });
    const after = await server.usage();
    const swarmAfter = await Promise.all(
      swarms.map((s) => s.request<{ cpuMs: number; wallMs: number }>({ cmd: 'usage' })),
    );
    const published = await server.request<Array<[number, number, number]>>('published');
    const metrics = await server.request<{ audioDropped: number; slowConsumers: number }>('metrics');
    const reports: SwarmReport[] = await Promise.all(swarms.map((s) => s.report(published)));
    const caption = new Histogram();
    const audio = new Histogram();
    for (const r of reports) {
      caption.merge(r.caption);
      audio.merge(r.audio);
    }
    const audioPublished = published.filter((p) => p[2] === 1).length;
    const captionsPublished = published.length - audioPublished;
    const listeners = connect.ok;
    const audioReceived = reports.reduce((a, r) => a + r.audioReceived, 0);
    const captionsReceived = reports.reduce((a, r) => a + r.captionsReceived, 0);
    const audioDropped = Math.max(0, listeners * audioPublished - audioReceived);
    const audioDroppedPct =
      listeners * audioPublished ? (100 * audioDropped) / (listeners * audioPublished) : 0;
    const captionsLost = Math.max(0, listeners * captionsPublished - captionsReceived);
    const c = caption.summary();
    const why: string[] = [];
    if (connect.failed > (LIMITS.connectFailedPct / 100) * n)
      why.push(`${connect.failed} connections failed`);
    if (c.p99 !== null && c.p99 > LIMITS.captionP99Ms)
      why.push(`caption p99 ${c.p99} ms > ${LIMITS.captionP99Ms} ms`);
    if (audioDroppedPct > LIMITS.audioDroppedPct) why.push(`${audioDroppedPct.toFixed(1)} % audio dropped`);
    if (captionsLost > 0) why.push(`${captionsLost} captions lost`);
    return {
      engines: server.engines,
      result: {
        listeners: n,
        connected: connect.ok,
        connectFailed: connect.failed,
        connectMs: connect.ms,
        captionDelayMs: c,
        audioDelayMs: audio.summary(),
        captionsPublished,
        audioPublished,
        captionsLost,
        audioDropped,
        audioDroppedPct: Math.round(audioDroppedPct * 100) / 100,
        slowConsumerDisconnects: metrics.slowConsumers,
        serverCpuPct: cpuPercent(before, after),
        serverRssMb: mb(after.rss),
        serverRssPeakMb: mb(after.rssPeak),
        listenerProcessCpuPct: swarmAfter.map((a, i) =>
          cpuPercent({ ...swarmBefore[i]!, rss: 0, rssPeak: 0 }, { ...a, rss: 0, rssPeak: 0 }),
        ),
        held: why.length === 0,
        why: why.join('; '),
      },
    };
  } finally {
    await Promise.all(swarms.map((s) => s.stop().catch(() => {})));
    await server.stop().catch(() => {});
  }
}
