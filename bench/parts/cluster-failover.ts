/**
 * Failover: one session, a Spanish listener on each gateway; mid-talk the worker holding the
 * session is killed with SIGKILL. Measured from the kill: until the other worker holds it, and
 * until the first caption emitted after the kill reaches each listener; frames missing and
 * captions a listener got twice or out of order (see cluster.ts for the whole part).
 */
import { type Cluster, type ClusterNode, RecordingListener, settle, Speaker } from '../lib/cluster-client.ts';
import { clipSamples, counts, idleCounts, load1m, round, sleep, wallMs } from './cluster-workers.ts';

export interface FailoverOptions {
  runs: number;
  clip: string;
  streamS: number;
  killAtS: number;
}

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

interface KillResult {
  victim: ClusterNode;
  survivor: ClusterNode;
  killedAt: number;
  load: number;
  heldAfterMs: number | null;
  before: { gap: number | null; takeovers: number | null };
}

const survivorCounters = async (survivor: ClusterNode) => ({
  gap: await survivor.metric('babelcast_worker_audio_gap_frames_total'),
  takeovers: await survivor.metric('babelcast_worker_takeovers_total'),
});

export async function failoverRun(cluster: Cluster, run: number, o: FailoverOptions): Promise<FailoverRun> {
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
    await speaker.stream(samples, {
      silenceMs: 2000,
      onFrame: (_i, ms) => {
        if (!state.kill && ms >= o.killAtS * 1000) {
          state.kill = killHolder(workers, base);
          state.kill.catch(() => {});
        }
      },
    });
    if (!state.kill) throw new Error('the clip ended before the kill');
    const k = await state.kill;
    await settle(Object.values(listeners), 3000, 20_000);
    const after = await survivorCounters(k.survivor);
    const seen = listenerFigures(listeners, k.killedAt);
    const firsts = Object.values(seen.firstCaptionMs);
    const gapFrames = after.gap !== null && k.before.gap !== null ? after.gap - k.before.gap : null;
    const takeovers =
      after.takeovers !== null && k.before.takeovers !== null ? after.takeovers - k.before.takeovers : null;
    const why = failoverProblems(k, seen, gapFrames, speaker);
    // The killed worker is gone for good; the caller starts another one.
    cluster.forget(k.victim);
    return {
      run,
      sessionId: id,
      killedWorker: k.victim.name,
      survivor: k.survivor.name,
      killAtAudioS: o.killAtS,
      heldAfterMs: k.heldAfterMs,
      firstCaptionMs: seen.firstCaptionMs,
      firstTranslationMs: seen.firstTranslationMs,
      firstCaptionBothMs: firsts.some((f) => f === null) ? null : Math.max(...(firsts as number[])),
      gapFrames,
      takeovers,
      repeatedSeqs: seen.repeatedSeqs,
      repeatedFinals: seen.repeatedFinals,
      outOfOrder: seen.outOfOrder,
      skippedSentences: seen.skippedSentences,
      captions: seen.captions,
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

/**
 * SIGKILL to the worker holding the session, then the time until the other one holds it (its
 * /readyz, polled every 50 ms, at most 30 s).
 */
async function killHolder(workers: ClusterNode[], base: number[]): Promise<KillResult> {
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
  const before = await survivorCounters(survivor);
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
}

type ListenerFigures = ReturnType<typeof listenerFigures>;

/** Per listener: the first caption and translation after the kill, and what came twice or out of order. */
function listenerFigures(listeners: Record<string, RecordingListener>, killedAt: number) {
  const per = <T>(f: (l: RecordingListener) => T) =>
    Object.fromEntries(Object.entries(listeners).map(([name, l]) => [name, f(l)])) as Record<string, T>;
  const firstAfter = (l: RecordingListener, kind?: string) => {
    const c = l.captions().find((c) => c.emittedAt >= killedAt && (!kind || c.kind === kind));
    return c ? round(c.at - killedAt) : null;
  };
  const finalIds = (l: RecordingListener) =>
    l
      .captions()
      .filter((c) => c.kind === 'final')
      .map((c) => c.segmentId);
  return {
    firstCaptionMs: per((l) => firstAfter(l)),
    firstTranslationMs: per((l) => firstAfter(l, 'translation')),
    repeatedSeqs: per((l) => {
      const seqs = l.captions().map((c) => c.seq);
      return seqs.length - new Set(seqs).size;
    }),
    repeatedFinals: per((l) => {
      const ids = finalIds(l);
      return ids.length - new Set(ids).size;
    }),
    outOfOrder: per((l) => {
      const seqs = l.captions().map((c) => c.seq);
      return seqs.filter((s, i) => i > 0 && s <= seqs[i - 1]!).length;
    }),
    skippedSentences: per((l) => {
      const ids = [...new Set(finalIds(l))].sort((a, b) => a - b);
      return ids.reduce((n, id, i) => n + (i > 0 ? Math.max(0, id - ids[i - 1]! - 1) : 0), 0);
    }),
    captions: per((l) => ({
      beforeKill: l.captions().filter((c) => c.emittedAt < killedAt).length,
      afterKill: l.captions().filter((c) => c.emittedAt >= killedAt).length,
    })),
  };
}

/** Why the run is not a clean failover; empty when it is. */
function failoverProblems(
  k: KillResult,
  seen: ListenerFigures,
  gapFrames: number | null,
  speaker: Speaker,
): string[] {
  const why: string[] = [];
  if (k.heldAfterMs === null) why.push('the survivor never held the session (30 s)');
  else if (k.heldAfterMs > 5000) why.push(`held after ${k.heldAfterMs} ms > 5 s`);
  if (Object.values(seen.firstCaptionMs).some((f) => f === null))
    why.push('a listener got no caption after the kill');
  if (gapFrames) why.push(`${gapFrames} frames missing`);
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  if (sum(seen.repeatedSeqs)) why.push(`${sum(seen.repeatedSeqs)} caption seqs repeated`);
  if (sum(seen.repeatedFinals)) why.push(`${sum(seen.repeatedFinals)} sentences shown twice`);
  if (sum(seen.outOfOrder)) why.push(`${sum(seen.outOfOrder)} captions out of order`);
  if (speaker.acked < speaker.sent) why.push(`${speaker.sent - speaker.acked} frames never acknowledged`);
  return why;
}
