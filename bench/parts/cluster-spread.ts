/**
 * Spread: N sessions with speakers streaming at once (alternating gateways); how many each worker
 * holds (/readyz) over time (see cluster.ts for the whole part).
 */
import { type Cluster, Speaker } from '../lib/cluster-client.ts';
import {
  clipSamples,
  counterDelta,
  counts,
  idleCounts,
  load1m,
  round,
  sleep,
  wallMs,
  workerCounters,
} from './cluster-workers.ts';

export interface SpreadOptions {
  sessions: number;
  clip: string;
  streamS: number;
}

export async function spread(cluster: Cluster, o: SpreadOptions) {
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
