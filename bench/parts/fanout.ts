/**
 * Fan-out: one session, N listeners in separate processes on loopback, for growing N until it
 * breaks. The listeners are split evenly between the target languages (default es and fr, so
 * captions and voice run in two languages), each listener process holding its share of each;
 * loss and delay are counted per language (bench/lib/fanout-accounting.ts): a listener expects
 * the source captions plus its own language's translations, drafts and audio packets. Fake recogniser/translator/voice (so only the hub is measured) with the real Opus codec
 * (so audio packets have their real size). The delay is from the moment the pipeline publishes a
 * caption or audio packet on the session bus to the moment a listener process receives it: what
 * the hub, `ws` and the kernel add, plus the listener processes' own scheduling on this machine.
 */
import { replay } from '@babelcast/cli/replay';
import { speechClip } from '@babelcast/core/testing';
import {
  account,
  type Delays,
  type LanguageAccount,
  type Losses,
  type Published,
  type PublishedCounts,
  splitEvenly,
} from '../lib/fanout-accounting.ts';
import { cpuPercent, mb, ServerProcess } from '../lib/server-client.ts';
import { Swarm, type SwarmReport } from '../lib/swarm-client.ts';

/** Published counts are distinct messages (source captions + every language's translations, etc.). */
export interface FanoutStep extends PublishedCounts, Omit<Losses, 'unmatched'>, Delays {
  listeners: number;
  /** Target languages the listeners were split between (evenly). */
  languages: string[];
  connected: number;
  connectFailed: number;
  connectMs: number;
  /** Per target language: expected per listener, received, lost, delays. */
  byLanguage: Record<string, LanguageAccount>;
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
  /** Target languages the listeners are split between; default es and fr. */
  languages?: string[];
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

export const DEFAULT_FANOUT_LANGUAGES = ['es', 'fr'];

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
    for (const [lang, l] of Object.entries(s.byLanguage ?? {}))
      options.log(
        `    ${lang}: ${l.listeners} listeners, per listener ${l.captionsPublished} captions / ${l.audioPublished} audio / ${l.draftsPublished} drafts; lost ${l.captionsLost}, audio dropped ${l.audioDropped}, drafts dropped ${l.draftsDropped}; caption p99 ${l.captionDelayMs.p99} ms, audio p99 ${l.audioDelayMs.p99} ms`,
      );
    if (!s.held) break;
  }
  return { steps, engines, limits: LIMITS, failed };
}

const swarmUsage = (swarms: Swarm[]) => Promise.all(swarms.map((s) => s.usage()));

async function runStep(
  n: number,
  options: FanoutOptions,
): Promise<{ result: FanoutStep; engines: Record<string, string> }> {
  const languages = options.languages ?? DEFAULT_FANOUT_LANGUAGES;
  const server = await ServerProcess.start({
    engines: { preset: 'fake', codec: 'opus' },
    probe: true,
    config: { rateLimits: LOOPBACK_CROWD },
  });
  const swarms: Swarm[] = [];
  try {
    for (let i = 0; i < options.processes; i++) swarms.push(await Swarm.start());
    let crowd: Awaited<ReturnType<typeof connectCrowd>> = {
      connected: {},
      connect: { ok: 0, failed: 0, ms: 0 },
    };
    let before = await server.usage();
    let swarmBefore = await swarmUsage(swarms);
    await replay({
      file: speechClip(options.clip),
      source: 'en',
      // The replay's own listeners hear every language, so every track runs from the start.
      listen: languages,
      server: { url: server.url, token: server.token },
      settleMs: 2000,
      beforeStreaming: async (sessionId) => {
        crowd = await connectCrowd(server.url, sessionId, n, languages, swarms);
        // Measure from here: what was published and used while connecting does not count.
        await server.request('published');
        await server.request('resetPeak');
        await Promise.all(swarms.map((s) => s.request({ cmd: 'reset' })));
        before = await server.usage();
        swarmBefore = await swarmUsage(swarms);
      },
    });
    const after = await server.usage();
    const swarmAfter = await swarmUsage(swarms);
    const published = await server.request<Published[]>('published');
    const metrics = await server.request<{ audioDropped: number; slowConsumers: number }>('metrics');
    const reports: SwarmReport[] = await Promise.all(swarms.map((s) => s.report(published)));
    return {
      engines: server.engines,
      result: fanoutStep({
        n,
        languages,
        connect: crowd.connect,
        connected: crowd.connected,
        published,
        tallies: reports.map((r) => r.byLanguage),
        slowConsumerDisconnects: metrics.slowConsumers,
        serverCpuPct: cpuPercent(before, after),
        serverRssMb: mb(after.rss),
        serverRssPeakMb: mb(after.rssPeak),
        listenerProcessCpuPct: swarmAfter.map((a, i) =>
          cpuPercent({ ...swarmBefore[i]!, rss: 0, rssPeak: 0 }, { ...a, rss: 0, rssPeak: 0 }),
        ),
      }),
    };
  } finally {
    await Promise.all(swarms.map((s) => s.stop().catch(() => {})));
    await server.stop().catch(() => {});
  }
}

/** `n` listeners split evenly over the languages, and each language's share over the processes. */
async function connectCrowd(url: string, sessionId: string, n: number, languages: string[], swarms: Swarm[]) {
  const perLanguage = splitEvenly(n, languages.length);
  const parallel = Math.max(1, Math.ceil(50 / languages.length));
  const results = await Promise.all(
    languages.flatMap((lang, li) => {
      const listenerUrl = `${url.replace(/^http/, 'ws')}/ws/listener?session=${sessionId}&targetLanguage=${encodeURIComponent(lang)}`;
      const shares = splitEvenly(perLanguage[li]!, swarms.length);
      return swarms.map(async (s, i) => ({ lang, r: await s.connect(listenerUrl, shares[i]!, parallel) }));
    }),
  );
  const connected: Record<string, number> = {};
  for (const lang of languages) connected[lang] = 0;
  for (const { lang, r } of results) connected[lang]! += r.ok;
  const connect = {
    ok: results.reduce((a, { r }) => a + r.ok, 0),
    failed: results.reduce((a, { r }) => a + r.failed, 0),
    ms: Math.max(...results.map(({ r }) => r.ms)),
  };
  return { connected, connect };
}

/**
 * One step's result from what the probe says was published and what the listener processes
 * received, per language; whether it held. Pure: tests feed it hand-made data.
 */
export function fanoutStep(input: {
  n: number;
  languages: string[];
  connect: { ok: number; failed: number; ms: number };
  /** Listeners of each language that connected. */
  connected: Record<string, number>;
  published: Published[];
  tallies: SwarmReport['byLanguage'][];
  slowConsumerDisconnects: number;
  serverCpuPct: number;
  serverRssMb: number;
  serverRssPeakMb: number;
  listenerProcessCpuPct: number[];
}): FanoutStep {
  const a = account(input.published, input.tallies, input.connected);
  const c = a.captionDelayMs;
  const why: string[] = [];
  if (input.connect.failed > (LIMITS.connectFailedPct / 100) * input.n)
    why.push(`${input.connect.failed} connections failed`);
  if (c.p99 !== null && c.p99 > LIMITS.captionP99Ms)
    why.push(`caption p99 ${c.p99} ms > ${LIMITS.captionP99Ms} ms`);
  if (a.audioDroppedPct > LIMITS.audioDroppedPct) why.push(`${a.audioDroppedPct.toFixed(1)} % audio dropped`);
  if (a.captionsLost > 0) why.push(`${a.captionsLost} captions lost`);
  if (a.wrongLanguage > 0) why.push(`${a.wrongLanguage} messages reached listeners of another language`);
  return {
    listeners: input.n,
    languages: input.languages,
    connected: input.connect.ok,
    connectFailed: input.connect.failed,
    connectMs: input.connect.ms,
    captionDelayMs: c,
    audioDelayMs: a.audioDelayMs,
    captionsPublished: a.captionsPublished,
    audioPublished: a.audioPublished,
    draftsPublished: a.draftsPublished,
    captionsLost: a.captionsLost,
    audioDropped: a.audioDropped,
    audioDroppedPct: a.audioDroppedPct,
    draftsDropped: a.draftsDropped,
    draftDelayMs: a.draftDelayMs,
    wrongLanguage: a.wrongLanguage,
    byLanguage: a.byLanguage,
    slowConsumerDisconnects: input.slowConsumerDisconnects,
    serverCpuPct: input.serverCpuPct,
    serverRssMb: input.serverRssMb,
    serverRssPeakMb: input.serverRssPeakMb,
    listenerProcessCpuPct: input.listenerProcessCpuPct,
    held: why.length === 0,
    why: why.join('; '),
  };
}
