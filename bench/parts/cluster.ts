/**
 * Cluster: gateways and workers as separate processes on this machine's NATS (JetStream) and
 * PostgreSQL (bench/lib/cluster-client.ts), fake recogniser/translator/voice with real Opus, a
 * real clip streamed in real time by a speaker on gateway A. Each run has its own NATS prefix and
 * PostgreSQL schema, removed at the end. Three measurements, each reported even when it fails:
 *
 * 1. Failover: one session, a Spanish listener on each gateway; mid-talk the worker holding the
 *    session is killed with SIGKILL. Measured from the kill: until the other worker holds it (its
 *    /readyz, polled every 50 ms), and until the first caption emitted after the kill reaches each
 *    listener; frames missing (the survivor's babelcast_worker_audio_gap_frames_total) and caption
 *    seqs or sentences a listener got twice. A new worker replaces the killed one between runs.
 * 2. Fan-out: one session, listeners split evenly across both gateways (and between es and fr),
 *    held by the listener processes of the fan-out part (bench/lib/swarm-client.ts), for growing N.
 *    Caption delay = listener receive time − the caption's emittedAt (stamped by the worker when it
 *    produced it; same machine clock): the bus, the gateway's hub, `ws` and the kernel. What was
 *    published is what reference listeners (es and fr, on each gateway, in this process) received.
 * 3. Spread: N sessions with speakers streaming at once (alternating gateways); how many each
 *    worker holds (/readyz) over time.
 */
import { loadavg } from 'node:os';
import { readWavFile } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import { account, KIND, type Published, splitEvenly } from '../lib/fanout-accounting.ts';
import { Histogram } from '../lib/histogram.ts';
import { Cluster, type ClusterNode, RecordingListener, settle, Speaker } from '../lib/cluster-client.ts';
import { cpuPercent, mb, type Usage } from '../lib/server-client.ts';
import { Swarm, type SwarmReport } from '../lib/swarm-client.ts';
import { LOOPBACK_CROWD } from './fanout.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wallMs = () => performance.timeOrigin + performance.now();
const round = (x: number) => Math.round(x);

export interface ClusterOptions {
  gateways: number;
  workers: number;
  failover: { runs: number; clip: string; streamS: number; killAtS: number };
  fanout: { steps: number[]; clip: string; streamS: number; processes: number; languages: string[] };
  spread: { sessions: number; clip: string; streamS: number };
  log: (line: string) => void;
}

/**
 * The fan-out goal of issue 11. The ramp stops after a step that lost captions, failed > 1 % of
 * its connections or lost a gateway; a step slower than captionP99Ms is marked, and the ramp goes on.
 */
export const CLUSTER_GOAL = { listeners: 20_000, captionP95Ms: 300 };
const BREAK = { captionP99Ms: 1000, connectFailedPct: 1 };

export interface FailoverRun {
  run: number;
  sessionId: string;
  killedWorker: string;
  survivor: string;
  /** Audio streamed when the kill came, s. */
  killAtAudioS: number;
  /** Kill → the survivor's /readyz counts the session. */
  heldAfterMs: number | null;
  /** Kill → first caption emitted after the kill received, per listener (gateway A, B). */
  firstCaptionMs: Record<string, number | null>;
  /** Kill → first translation emitted after the kill received, per listener. */
  firstTranslationMs: Record<string, number | null>;
  /** The later of the two listeners. */
  firstCaptionBothMs: number | null;
  gapFrames: number | null;
  takeovers: number | null;
  /** Per listener: caption seqs received more than once; final sentences (segmentId) shown twice. */
  repeatedSeqs: Record<string, number>;
  repeatedFinals: Record<string, number>;
  /** Per listener: seqs out of order; sentence ids skipped between finals. */
  outOfOrder: Record<string, number>;
  skippedSentences: Record<string, number>;
  captions: Record<string, { beforeKill: number; afterKill: number }>;
  framesSent: number;
  framesAcked: number;
  /** 1-minute load average of the machine at the kill. */
  loadAverage1mAtKill: number;
  ok: boolean;
  why: string;
}

export interface ClusterFanoutStep {
  listeners: number;
  perGateway: number[];
  languages: string[];
  connected: number;
  connectFailed: number;
  connectMs: number;
  captionDelayMs: ReturnType<Histogram['summary']>;
  /** Per gateway: caption delay of its listeners, lost captions. */
  byGateway: Array<{
    gateway: string;
    listeners: number;
    captionDelayMs: ReturnType<Histogram['summary']>;
    captionsLost: number;
  }>;
  captionsPublished: number;
  captionsLost: number;
  /** Audio packets a listener should have had but did not (the hub drops audio first, by design). */
  audioDropped: number;
  audioDroppedPct: number;
  draftsDropped: number;
  wrongLanguage: number;
  /** Messages no reference listener received (so their publish time is unknown). */
  unmatched: number;
  /**
   * The same delay at the reference listeners (a handful, in the benchmark process): when it is
   * as large as the crowd's, the time is spent before the gateway's fan-out (worker, NATS, gateway
   * intake), not in sending to thousands of sockets.
   */
  referenceCaptionDelayMs: ReturnType<Histogram['summary']>;
  /** Audio: listener receive time − the earliest reference listener's (not from publish). */
  audioDelayVsReferenceMs: ReturnType<Histogram['summary']>;
  gatewayCpuPct: number[];
  gatewayRssMb: number[];
  gatewayRssPeakMb: number[];
  workerCpuPct: number[];
  listenerProcessCpuPct: number[];
  /** Takeovers during the step (a lease lost under load moves the session) and frames missing. */
  workerTakeovers: number;
  workerGapFrames: number;
  /** 1-minute load average of the machine at the start and the end of the step. */
  loadAverage1m: [number, number];
  meetsGoal: boolean;
  /** Nothing lost, connections made, gateways alive (the ramp goes on however slow the captions). */
  held: boolean;
  why: string;
  /** Caption p99 over the limit: reported, the ramp goes on (it shows how the delay grows). */
  slow: string;
}

export interface FailedStep {
  listeners?: number;
  run?: number;
  failed: true;
  error: string;
}

export async function runCluster(options: ClusterOptions): Promise<Record<string, unknown>> {
  const { log } = options;
  const failed: Array<{ step: string; error: string }> = [];
  const cluster = new Cluster({
    engines: { preset: 'fake', codec: 'opus' },
    rateLimits: LOOPBACK_CROWD,
    limits: { heartbeatMs: 600_000 },
  });
  const out: Record<string, unknown> = {
    setup: {
      gateways: options.gateways,
      workers: options.workers,
      nats: 'nats://127.0.0.1:4222 (JetStream), own prefix per run, removed afterwards',
      postgres: 'postgres://127.0.0.1:5432/test, own schema per run, dropped afterwards',
      engines: { preset: 'fake', codec: 'opus' },
      pipelineMode: 'simultaneous (default)',
      processes:
        'Each gateway and worker its own Node process (bench/lib/cluster-node.ts); listener processes as in the fan-out part; speaker and reference listeners in the benchmark process; all on this machine',
    },
    definitions: {
      failover:
        'from the instant the benchmark sent SIGKILL to the worker holding the session: (a) until the other worker’s /readyz counts the session (polled every 50 ms), (b) until each listener receives the first caption whose emittedAt is after the kill (so produced by the new holder). Frames missing = increase of the survivor’s babelcast_worker_audio_gap_frames_total; repeats = caption seqs, or final sentence ids, a listener received twice (history replays excluded).',
      fanoutCaptionDelay:
        'listener receive time − the caption’s emittedAt (the worker’s wall clock when it produced the caption; same machine clock): NATS, the gateway’s hub, ws and the kernel, plus the listener processes’ own scheduling. Lost = captions some reference listener received that a listener of that language did not.',
      spread: 'sessions each worker’s /readyz counts, sampled every 250 ms while all speakers stream',
    },
    data: {
      sharedData: speechClip('').replace(/\/$/, ''),
      failoverClip: `${options.failover.clip}, first ${options.failover.streamS} s, kill at ${options.failover.killAtS} s`,
      fanoutClip: `${options.fanout.clip}, first ${options.fanout.streamS} s`,
      spreadClip: `${options.spread.clip}, first ${options.spread.streamS} s`,
    },
    failed,
  };
  try {
    const t = Date.now();
    await cluster.start(options.gateways, options.workers);
    log(
      `cluster: ${options.gateways} gateways + ${options.workers} workers up in ${((Date.now() - t) / 1000).toFixed(1)} s (NATS prefix ${cluster.prefix}, schema ${cluster.schema})`,
    );

    // 1. Failover
    const runs: Array<FailoverRun | FailedStep> = [];
    for (let i = 1; i <= options.failover.runs; i++) {
      try {
        const r = await failoverRun(cluster, i, options);
        runs.push(r);
        log(
          `  failover ${i}: held by ${r.survivor} after ${r.heldAfterMs} ms, first caption A/B ${r.firstCaptionMs.A}/${r.firstCaptionMs.B} ms, gap frames ${r.gapFrames}, repeated seqs ${JSON.stringify(r.repeatedSeqs)}${r.ok ? '' : ` — ${r.why}`}`,
        );
        if (!r.ok) failed.push({ step: `failover run ${i}`, error: r.why });
      } catch (err) {
        const error = (err as Error).message;
        log(`  failover ${i} failed: ${error}`);
        runs.push({ run: i, failed: true, error });
        failed.push({ step: `failover run ${i}`, error });
      }
      // Back to the full number of workers for the next run (and the other measurements).
      while (cluster.liveWorkers().length < options.workers) await cluster.addWorker();
    }
    const okRuns = runs.filter((r): r is FailoverRun => !('failed' in r));
    out.failover = {
      runs,
      median: {
        heldAfterMs: median(okRuns.map((r) => r.heldAfterMs)),
        firstCaptionBothMs: median(okRuns.map((r) => r.firstCaptionBothMs)),
        firstCaptionMsA: median(okRuns.map((r) => r.firstCaptionMs.A ?? null)),
        firstCaptionMsB: median(okRuns.map((r) => r.firstCaptionMs.B ?? null)),
        firstTranslationMsA: median(okRuns.map((r) => r.firstTranslationMs.A ?? null)),
      },
      framesMissing: okRuns.reduce((a, r) => a + (r.gapFrames ?? 0), 0),
      seqsRepeated: okRuns.reduce((a, r) => a + Object.values(r.repeatedSeqs).reduce((x, y) => x + y, 0), 0),
    };

    // 2. Fan-out across the gateways
    const steps: Array<ClusterFanoutStep | FailedStep> = [];
    for (const n of options.fanout.steps) {
      log(`  fan-out over ${options.gateways} gateways: ${n} listeners…`);
      try {
        const s = await fanoutStep(cluster, n, options);
        steps.push(s);
        log(
          `    caption p50/p95/p99 ${s.captionDelayMs.p50}/${s.captionDelayMs.p95}/${s.captionDelayMs.p99} ms, lost ${s.captionsLost}, audio dropped ${s.audioDroppedPct} %, connect failed ${s.connectFailed}, gateway CPU ${s.gatewayCpuPct.join(' + ')} %, RSS peak ${s.gatewayRssPeakMb.join(' + ')} MB, load ${s.loadAverage1m.join('→')}${s.held ? '' : ` — broke: ${s.why}`}${s.slow ? ` (${s.slow})` : ''}`,
        );
        if (!s.held) break;
      } catch (err) {
        const error = (err as Error).message;
        log(`    ${n} listeners failed: ${error}`);
        steps.push({ listeners: n, failed: true, error });
        failed.push({ step: `fan-out ${n} listeners`, error });
        break;
      }
    }
    out.fanout = { steps, goal: CLUSTER_GOAL, breaks: BREAK };

    // 3. Sessions spread over the workers
    try {
      const revived = await cluster.reviveGateways();
      if (revived.length) log(`  restarted ${revived.join(', ')} (it had ended)`);
      out.spread = await spread(cluster, options);
      const s = out.spread as Awaited<ReturnType<typeof spread>>;
      log(`  spread: ${s.sessions} sessions → ${JSON.stringify(s.final)} (all held after ${s.allHeldMs} ms)`);
    } catch (err) {
      const error = (err as Error).message;
      log(`  spread failed: ${error}`);
      out.spread = { failed: true, error };
      failed.push({ step: 'spread', error });
    }
  } finally {
    const exits = cluster.unexpectedExits();
    out.unexpectedExits = exits;
    for (const e of exits)
      failed.push({
        step: `${e.node} ended`,
        error: `code ${e.code}, signal ${e.signal}: ${e.stderr.slice(-500)}`,
      });
    const errors = await cluster.destroy();
    out.cleanup = errors.length ? errors : 'NATS stream and buckets and the PostgreSQL schema removed';
    for (const e of errors) failed.push({ step: 'cleanup', error: e });
  }
  return out;
}

function median(xs: Array<number | null>): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number').sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : round((v[m - 1]! + v[m]!) / 2);
}

function clipSamples(clip: string, seconds: number): Int16Array {
  const wav = readWavFile(speechClip(clip));
  if (wav.sampleRate !== 16000 || wav.channels !== 1) throw new Error(`${clip} is not 16 kHz mono`);
  return wav.samples.slice(0, Math.round(seconds * 16000));
}

interface KillResult {
  victim: ClusterNode;
  survivor: ClusterNode;
  killedAt: number;
  load: number;
  heldAfterMs: number | null;
  before: { gap: number | null; takeovers: number | null };
}

const load1m = () => Math.round(loadavg()[0]! * 100) / 100;

/** Takeovers and missing frames counted by each worker so far (null where it does not answer). */
const workerCounters = (workers: ClusterNode[]) =>
  Promise.all(
    workers.map(async (w) => ({
      takeovers: await w.metric('babelcast_worker_takeovers_total'),
      gapFrames: await w.metric('babelcast_worker_audio_gap_frames_total'),
    })),
  );

/** Sum over workers of the increase between two workerCounters() samples. */
function counterDelta(
  a: Awaited<ReturnType<typeof workerCounters>>,
  b: Awaited<ReturnType<typeof workerCounters>>,
) {
  const d = (k: 'takeovers' | 'gapFrames') =>
    a.reduce((n, x, i) => n + ((b[i]?.[k] ?? x[k] ?? 0) - (x[k] ?? 0)), 0);
  return { takeovers: d('takeovers'), gapFrames: d('gapFrames') };
}

/** Workers' session counts, in the order given. */
const counts = (workers: ClusterNode[]) => Promise.all(workers.map((w) => w.sessions()));

/**
 * Counts once the workers have let go of the sessions earlier steps ended (a worker finishes an
 * ended session's audio before it releases it), at most `ms`: the baseline of a measurement.
 */
async function idleCounts(workers: ClusterNode[], ms = 20_000): Promise<number[]> {
  const deadline = Date.now() + ms;
  let c = await counts(workers);
  while (c.some((x) => x > 0) && Date.now() < deadline) {
    await sleep(250);
    c = await counts(workers);
  }
  return c;
}

async function failoverRun(cluster: Cluster, run: number, options: ClusterOptions): Promise<FailoverRun> {
  const o = options.failover;
  const [gwA, gwB] = cluster.gateways as [ClusterNode, ClusterNode];
  const workers = cluster.liveWorkers();
  const base = await idleCounts(workers);
  const samples = clipSamples(o.clip, o.streamS);
  const id = await cluster.createSession(`failover ${run}`);
  const listeners = {
    A: new RecordingListener(gwA.url, id, 'es'),
    B: new RecordingListener(gwB.url, id, 'es'),
  };
  const speaker = new Speaker(gwA.url, id, cluster.token);
  try {
    await Promise.all(Object.values(listeners).map((l) => l.ready()));
    await speaker.ready();
    // Set by the frame callback: a holder, not a `let`, so that TypeScript sees it can change.
    const state: { kill: Promise<KillResult> | null } = { kill: null };
    const doKill = async (): Promise<KillResult> => {
      let held = await counts(workers);
      // The claim may still be under way (it is a few 100 ms after the speaker's first frame).
      for (let i = 0; i < 50 && held.every((c, k) => c <= base[k]!); i++) {
        await sleep(100);
        held = await counts(workers);
      }
      const v = held.findIndex((c, k) => c > base[k]!);
      if (v < 0) throw new Error('no worker held the session at the kill');
      const victim = workers[v]!;
      const survivor = workers.find((w) => w !== victim)!;
      const before = {
        gap: await survivor.metric('babelcast_worker_audio_gap_frames_total'),
        takeovers: await survivor.metric('babelcast_worker_takeovers_total'),
      };
      const survivorBase = held[workers.indexOf(survivor)]!;
      victim.kill();
      const killedAt = wallMs();
      let heldAfterMs: number | null = null;
      while (wallMs() - killedAt < 30_000) {
        if ((await survivor.sessions()) > survivorBase) {
          heldAfterMs = round(wallMs() - killedAt);
          break;
        }
        await sleep(50);
      }
      return { victim, survivor, killedAt, load: load1m(), heldAfterMs, before };
    };
    await speaker.stream(samples, {
      silenceMs: 2000,
      onFrame: (_i, ms) => {
        if (!state.kill && ms >= o.killAtS * 1000) {
          state.kill = doKill();
          state.kill.catch(() => {});
        }
      },
    });
    if (!state.kill) throw new Error('the clip ended before the kill');
    const k = await state.kill;
    await settle(Object.values(listeners), 3000, 20_000);
    const after = {
      gap: await k.survivor.metric('babelcast_worker_audio_gap_frames_total'),
      takeovers: await k.survivor.metric('babelcast_worker_takeovers_total'),
    };
    const per = <T>(f: (l: RecordingListener) => T) =>
      Object.fromEntries(Object.entries(listeners).map(([name, l]) => [name, f(l)])) as Record<string, T>;
    const firstAfter = (l: RecordingListener, kind?: string) => {
      const c = l.captions().find((c) => c.emittedAt >= k.killedAt && (!kind || c.kind === kind));
      return c ? round(c.at - k.killedAt) : null;
    };
    const firstCaptionMs = per((l) => firstAfter(l));
    const firstTranslationMs = per((l) => firstAfter(l, 'translation'));
    const repeatedSeqs = per((l) => {
      const seqs = l.captions().map((c) => c.seq);
      return seqs.length - new Set(seqs).size;
    });
    const repeatedFinals = per((l) => {
      const ids = l
        .captions()
        .filter((c) => c.kind === 'final')
        .map((c) => c.segmentId);
      return ids.length - new Set(ids).size;
    });
    const outOfOrder = per((l) => {
      const seqs = l.captions().map((c) => c.seq);
      return seqs.filter((s, i) => i > 0 && s <= seqs[i - 1]!).length;
    });
    const skippedSentences = per((l) => {
      const ids = [
        ...new Set(
          l
            .captions()
            .filter((c) => c.kind === 'final')
            .map((c) => c.segmentId),
        ),
      ].sort((a, b) => a - b);
      return ids.reduce((n, id, i) => n + (i > 0 ? Math.max(0, id - ids[i - 1]! - 1) : 0), 0);
    });
    const captions = per((l) => ({
      beforeKill: l.captions().filter((c) => c.emittedAt < k.killedAt).length,
      afterKill: l.captions().filter((c) => c.emittedAt >= k.killedAt).length,
    }));
    const firsts = Object.values(firstCaptionMs);
    const gapFrames = after.gap !== null && k.before.gap !== null ? after.gap - k.before.gap : null;
    const takeovers =
      after.takeovers !== null && k.before.takeovers !== null ? after.takeovers - k.before.takeovers : null;
    const why: string[] = [];
    if (k.heldAfterMs === null) why.push('the survivor never held the session (30 s)');
    else if (k.heldAfterMs > 5000) why.push(`held after ${k.heldAfterMs} ms > 5 s`);
    if (firsts.some((f) => f === null)) why.push('a listener got no caption after the kill');
    if (gapFrames) why.push(`${gapFrames} frames missing`);
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    if (sum(repeatedSeqs)) why.push(`${sum(repeatedSeqs)} caption seqs repeated`);
    if (sum(repeatedFinals)) why.push(`${sum(repeatedFinals)} sentences shown twice`);
    if (sum(outOfOrder)) why.push(`${sum(outOfOrder)} captions out of order`);
    if (speaker.acked < speaker.sent) why.push(`${speaker.sent - speaker.acked} frames never acknowledged`);
    // The killed worker is gone for good; the caller starts another one.
    cluster.forget(k.victim);
    return {
      run,
      sessionId: id,
      killedWorker: k.victim.name,
      survivor: k.survivor.name,
      killAtAudioS: o.killAtS,
      heldAfterMs: k.heldAfterMs,
      firstCaptionMs,
      firstTranslationMs,
      firstCaptionBothMs: firsts.some((f) => f === null) ? null : Math.max(...(firsts as number[])),
      gapFrames,
      takeovers,
      repeatedSeqs,
      repeatedFinals,
      outOfOrder,
      skippedSentences,
      captions,
      framesSent: speaker.sent,
      framesAcked: speaker.acked,
      loadAverage1mAtKill: k.load,
      ok: why.length === 0,
      why: why.join('; '),
    };
  } finally {
    speaker.close();
    await cluster.endSession(id);
    for (const l of Object.values(listeners)) l.close();
    // A killed worker that was not yet forgotten (the run threw after the kill) is dropped here.
    for (const w of [...cluster.workers]) if (w.exited) cluster.forget(w);
  }
}

/** Caption delay (receive − emittedAt) at the reference listeners. */
function referenceDelay(refs: RecordingListener[]) {
  const h = new Histogram();
  for (const l of refs) for (const c of l.captions()) h.add(c.at - c.emittedAt);
  return h.summary();
}

/** What the reference listeners received, as the fan-out accounting's publish log. */
function publishedFrom(refs: RecordingListener[]): Published[] {
  const bySeq = new Map<number, Published>();
  for (const l of refs) {
    for (const r of l.received) {
      if (bySeq.has(r.seq)) continue;
      const lang = r.type === 'draft' ? r.lang : r.kind === 'translation' ? r.lang : '';
      bySeq.set(r.seq, [r.seq, r.emittedAt, r.type === 'draft' ? KIND.draft : KIND.caption, lang]);
    }
    for (const [seq, at] of l.audio) {
      const p = bySeq.get(seq);
      if (!p) bySeq.set(seq, [seq, at, KIND.audio, l.language]);
      else if (p[2] === KIND.audio && at < p[1]) p[1] = at;
    }
  }
  return [...bySeq.values()];
}

async function fanoutStep(cluster: Cluster, n: number, options: ClusterOptions): Promise<ClusterFanoutStep> {
  const { languages, processes } = options.fanout;
  const gateways = cluster.gateways;
  const samples = clipSamples(options.fanout.clip, options.fanout.streamS);
  const id = await cluster.createSession(`fan-out ${n}`);
  const refs = gateways.flatMap((g) => languages.map((lang) => new RecordingListener(g.url, id, lang)));
  const swarms: Swarm[] = [];
  let speaker: Speaker | null = null;
  try {
    await Promise.all(refs.map((l) => l.ready()));
    // Listener processes: one per gateway (2 gateways, 2 processes), each its gateway's share.
    for (let i = 0; i < Math.max(processes, gateways.length); i++) swarms.push(await Swarm.start());
    const perGateway = splitEvenly(n, gateways.length);
    const connectedBy: Array<Record<string, number>> = gateways.map(() => ({}));
    const parallel = Math.max(1, Math.ceil(50 / languages.length));
    const results = await Promise.all(
      gateways.flatMap((g, gi) => {
        const perLanguage = splitEvenly(perGateway[gi]!, languages.length);
        return languages.map(async (lang, li) => {
          const url = `${g.url.replace(/^http/, 'ws')}/ws/listener?session=${id}&targetLanguage=${encodeURIComponent(lang)}`;
          return { gi, lang, r: await swarms[gi % swarms.length]!.connect(url, perLanguage[li]!, parallel) };
        });
      }),
    );
    for (const { gi, lang, r } of results) connectedBy[gi]![lang] = (connectedBy[gi]![lang] ?? 0) + r.ok;
    const connect = {
      ok: results.reduce((a, { r }) => a + r.ok, 0),
      failed: results.reduce((a, { r }) => a + r.failed, 0),
      ms: Math.max(...results.map(({ r }) => r.ms)),
    };
    speaker = new Speaker(gateways[0]!.url, id, cluster.token);
    await speaker.ready();
    await Promise.all(swarms.map((s) => s.request({ cmd: 'reset' })));
    await Promise.all(gateways.map((g) => g.request('resetPeak')));
    const usage = () =>
      Promise.all([
        Promise.all(gateways.map((g) => g.usage())),
        Promise.all(cluster.liveWorkers().map((w) => w.usage())),
        Promise.all(swarms.map((s) => s.request<{ cpuMs: number; wallMs: number }>({ cmd: 'usage' }))),
      ]);
    const loadBefore = load1m();
    const countersBefore = await workerCounters(cluster.liveWorkers());
    const before = await usage();
    await speaker.stream(samples, { silenceMs: 2000 });
    await settle(refs, 3000, 30_000);
    const after = await usage();
    const moved = counterDelta(countersBefore, await workerCounters(cluster.liveWorkers()));
    const published = publishedFrom(refs);
    const reports: SwarmReport[] = await Promise.all(swarms.map((s) => s.report(published)));
    const connectedAll: Record<string, number> = {};
    for (const c of connectedBy)
      for (const [lang, k] of Object.entries(c)) connectedAll[lang] = (connectedAll[lang] ?? 0) + k;
    const a = account(
      published,
      reports.map((r) => r.byLanguage),
      connectedAll,
    );
    const byGateway = gateways.map((g, gi) => {
      const ga = account(published, [reports[gi]!.byLanguage], connectedBy[gi]!);
      return {
        gateway: g.name,
        listeners: Object.values(connectedBy[gi]!).reduce((x, y) => x + y, 0),
        captionDelayMs: ga.captionDelayMs,
        captionsLost: ga.captionsLost,
      };
    });
    const cpu = (b: Array<Usage | null>, e: Array<Usage | null>) =>
      b.map((x, i) => (x && e[i] ? cpuPercent(x, e[i]!) : Number.NaN));
    const c = a.captionDelayMs;
    const why: string[] = [];
    if (connect.failed > (BREAK.connectFailedPct / 100) * n) why.push(`${connect.failed} connections failed`);
    if (a.captionsLost > 0) why.push(`${a.captionsLost} captions lost`);
    if (a.wrongLanguage > 0) why.push(`${a.wrongLanguage} messages reached listeners of another language`);
    if (a.captionsPublished === 0) why.push('no caption was published');
    for (const g of gateways)
      if (g.exited)
        why.push(
          `${g.name} ended during the step (${JSON.stringify(g.exit)}): ${g.stderr.trim().slice(-300)}`,
        );
    const meetsGoal =
      why.length === 0 && connect.failed === 0 && c.p95 !== null && c.p95 <= CLUSTER_GOAL.captionP95Ms;
    const slow =
      c.p99 !== null && c.p99 > BREAK.captionP99Ms
        ? `caption p99 ${c.p99} ms > ${BREAK.captionP99Ms} ms`
        : '';
    return {
      listeners: n,
      perGateway,
      languages,
      connected: connect.ok,
      connectFailed: connect.failed,
      connectMs: connect.ms,
      captionDelayMs: c,
      byGateway,
      captionsPublished: a.captionsPublished,
      captionsLost: a.captionsLost,
      audioDropped: a.audioDropped,
      audioDroppedPct: a.audioDroppedPct,
      draftsDropped: a.draftsDropped,
      wrongLanguage: a.wrongLanguage,
      unmatched: a.unmatched,
      audioDelayVsReferenceMs: a.audioDelayMs,
      referenceCaptionDelayMs: referenceDelay(refs),
      gatewayCpuPct: cpu(before[0], after[0]),
      gatewayRssMb: after[0].map((u) => (u ? mb(u.rss) : Number.NaN)),
      gatewayRssPeakMb: after[0].map((u) => (u ? mb(u.rssPeak) : Number.NaN)),
      workerCpuPct: cpu(before[1], after[1]),
      listenerProcessCpuPct: after[2].map((x, i) =>
        cpuPercent({ ...before[2][i]!, rss: 0, rssPeak: 0 }, { ...x, rss: 0, rssPeak: 0 }),
      ),
      workerTakeovers: moved.takeovers,
      workerGapFrames: moved.gapFrames,
      loadAverage1m: [loadBefore, load1m()],
      meetsGoal,
      held: why.length === 0,
      why: why.join('; '),
      slow,
    };
  } finally {
    speaker?.close();
    await Promise.all(swarms.map((s) => s.stop().catch(() => {})));
    for (const l of refs) l.close();
    await cluster.endSession(id);
  }
}

async function spread(cluster: Cluster, options: ClusterOptions) {
  const o = options.spread;
  const workers = cluster.liveWorkers();
  const base = await idleCounts(workers);
  const samples = clipSamples(o.clip, o.streamS);
  const ids: string[] = [];
  for (let i = 0; i < o.sessions; i++) ids.push(await cluster.createSession(`spread ${i + 1}`));
  const speakers = ids.map(
    (id, i) => new Speaker(cluster.gateways[i % cluster.gateways.length]!.url, id, cluster.token),
  );
  const samplesOverTime: Array<{ ms: number; held: number[] }> = [];
  try {
    await Promise.all(speakers.map((s) => s.ready()));
    const countersBefore = await workerCounters(workers);
    const loadBefore = load1m();
    const start = wallMs();
    let streaming = true;
    const streams = Promise.all(speakers.map((s) => s.stream(samples, { silenceMs: 1000 }))).finally(() => {
      streaming = false;
    });
    let allHeldMs: number | null = null;
    while (streaming) {
      const held = (await counts(workers)).map((c, i) => c - base[i]!);
      const ms = round(wallMs() - start);
      samplesOverTime.push({ ms, held });
      if (allHeldMs === null && held.reduce((a, b) => a + b, 0) >= o.sessions) allHeldMs = ms;
      await sleep(250);
    }
    await streams;
    const moved = counterDelta(countersBefore, await workerCounters(workers));
    const final = Object.fromEntries((await counts(workers)).map((c, i) => [workers[i]!.name, c - base[i]!]));
    const maxHeld = Object.fromEntries(
      workers.map((w, i) => [w.name, Math.max(0, ...samplesOverTime.map((s) => s.held[i]!))]),
    );
    return {
      sessions: o.sessions,
      workers: workers.map((w) => w.name),
      final,
      maxHeld,
      allHeldMs,
      /** Sessions that moved to another worker meanwhile (a lease lost under load), frames missing. */
      takeovers: moved.takeovers,
      gapFrames: moved.gapFrames,
      loadAverage1m: [loadBefore, load1m()],
      /** Every 4th sample (1 s apart) to keep the results file short. */
      overTime: samplesOverTime.filter((_, i) => i % 4 === 0),
    };
  } finally {
    for (const s of speakers) s.close();
    await Promise.all(ids.map((id) => cluster.endSession(id)));
  }
}
