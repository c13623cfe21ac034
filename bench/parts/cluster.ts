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
import { speechClip } from '@babelcast/core/testing';
import { Cluster } from '../lib/cluster-client.ts';
import { type FailoverOptions, type FailoverRun, failoverRun } from './cluster-failover.ts';
import {
  BREAK,
  CLUSTER_GOAL,
  type ClusterFanoutOptions,
  type ClusterFanoutStep,
  fanoutStep,
} from './cluster-fanout.ts';
import { type SpreadOptions, spread } from './cluster-spread.ts';
import { median } from './cluster-workers.ts';
import { LOOPBACK_CROWD } from './fanout.ts';

export type { ClusterFanoutStep } from './cluster-fanout.ts';
export { CLUSTER_GOAL } from './cluster-fanout.ts';
export type { FailoverRun } from './cluster-failover.ts';

export interface ClusterOptions {
  gateways: number;
  workers: number;
  failover: FailoverOptions;
  fanout: ClusterFanoutOptions;
  spread: SpreadOptions;
  log: (line: string) => void;
}

export interface FailedStep {
  listeners?: number;
  run?: number;
  failed: true;
  error: string;
}

type Failures = Array<{ step: string; error: string }>;

export async function runCluster(options: ClusterOptions): Promise<Record<string, unknown>> {
  const { log } = options;
  const failed: Failures = [];
  const cluster = new Cluster({
    engines: { preset: 'fake', codec: 'opus' },
    rateLimits: LOOPBACK_CROWD,
    limits: { heartbeatMs: 600_000 },
  });
  const out: Record<string, unknown> = { ...description(options), failed };
  try {
    const t = Date.now();
    await cluster.start(options.gateways, options.workers);
    log(
      `cluster: ${options.gateways} gateways + ${options.workers} workers up in ${((Date.now() - t) / 1000).toFixed(1)} s (NATS prefix ${cluster.prefix}, schema ${cluster.schema})`,
    );
    out.failover = await measureFailover(cluster, options, failed);
    out.fanout = await measureFanout(cluster, options, failed);
    out.spread = await measureSpread(cluster, options, failed);
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

/** What the report says about the setup, the definitions and the data. */
function description(options: ClusterOptions) {
  return {
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
  };
}

/** 1. The failover runs, each reported even when it fails, and their medians. */
async function measureFailover(cluster: Cluster, options: ClusterOptions, failed: Failures) {
  const { log } = options;
  const runs: Array<FailoverRun | FailedStep> = [];
  for (let i = 1; i <= options.failover.runs; i++) {
    try {
      const r = await failoverRun(cluster, i, options.failover);
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
  return {
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
}

/** 2. Fan-out across the gateways, step by step until a step breaks. */
async function measureFanout(cluster: Cluster, options: ClusterOptions, failed: Failures) {
  const { log } = options;
  const steps: Array<ClusterFanoutStep | FailedStep> = [];
  for (const n of options.fanout.steps) {
    log(`  fan-out over ${options.gateways} gateways: ${n} listeners…`);
    try {
      const s = await fanoutStep(cluster, n, options.fanout);
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
  return { steps, goal: CLUSTER_GOAL, breaks: BREAK };
}

/** 3. Sessions spread over the workers. */
async function measureSpread(cluster: Cluster, options: ClusterOptions, failed: Failures) {
  const { log } = options;
  try {
    const revived = await cluster.reviveGateways();
    if (revived.length) log(`  restarted ${revived.join(', ')} (it had ended)`);
    const s = await spread(cluster, options.spread);
    log(`  spread: ${s.sessions} sessions → ${JSON.stringify(s.final)} (all held after ${s.allHeldMs} ms)`);
    return s;
  } catch (err) {
    const error = (err as Error).message;
    log(`  spread failed: ${error}`);
    failed.push({ step: 'spread', error });
    return { failed: true, error };
  }
}
