/** The cluster part's Markdown: failover runs, fan-out across the gateways, sessions per worker. */
import type { Results } from '../lib/results.ts';
import { f } from './format.ts';

export function clusterSection(c: Results): string[] {
  const out: string[] = ['## Cluster (2 gateways + 2 workers on NATS JetStream and PostgreSQL)', ''];
  if (c.error) return [...out, `Failed: ${c.error}`, ''];
  const s = c.setup;
  out.push(
    `${s.gateways} gateways and ${s.workers} workers, each its own process; ${s.nats}; ${s.postgres}. Engines ${JSON.stringify(s.engines)}, pipeline ${s.pipelineMode}. ${s.processes}.`,
    '',
    `Data: failover ${c.data.failoverClip}; fan-out ${c.data.fanoutClip}; spread ${c.data.spreadClip} (shared data ${c.data.sharedData}).`,
    '',
    ...failoverTable(c),
    ...fanoutTable(c),
    ...spread(c),
    `Cleanup: ${Array.isArray(c.cleanup) ? c.cleanup.join('; ') : c.cleanup}.`,
    '',
  );
  if (c.failed?.length)
    out.push('**Failed steps:**', '', ...c.failed.map((x: Results) => `- ${x.step}: ${x.error}`), '');
  return out;
}

function failoverTable(c: Results): string[] {
  const fo = c.failover;
  const out = ['### Failover (SIGKILL of the worker holding the session, mid-talk)', ''];
  if (!fo) return [...out, 'Not measured (the cluster did not start).', ''];
  const m = fo.median;
  return [
    ...out,
    `Measured ${c.definitions.failover}`,
    '',
    '| run | killed → survivor | held after ms | first caption after the kill, gateway A / B ms | first translation A / B ms | frames missing | seqs repeated A / B | sentences twice A / B | out of order A / B | frames acked / sent | load 1m | ok |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...fo.runs.map((r: Results) =>
      r.failed
        ? `| ${r.run} | failed: ${r.error} | | | | | | | | | | no |`
        : `| ${r.run} | ${r.killedWorker} → ${r.survivor} | ${f(r.heldAfterMs)} | ${f(r.firstCaptionMs.A)} / ${f(r.firstCaptionMs.B)} | ${f(r.firstTranslationMs.A)} / ${f(r.firstTranslationMs.B)} | ${f(r.gapFrames)} | ${r.repeatedSeqs.A} / ${r.repeatedSeqs.B} | ${r.repeatedFinals.A} / ${r.repeatedFinals.B} | ${r.outOfOrder.A} / ${r.outOfOrder.B} | ${r.framesAcked} / ${r.framesSent} | ${f(r.loadAverage1mAtKill)} | ${r.ok ? 'yes' : `no: ${r.why}`} |`,
    ),
    `| **median** | | **${f(m.heldAfterMs)}** | **${f(m.firstCaptionMsA)} / ${f(m.firstCaptionMsB)}** (both: ${f(m.firstCaptionBothMs)}) | ${f(m.firstTranslationMsA)} / – | ${fo.framesMissing} in all | ${fo.seqsRepeated} in all | | | | | |`,
    '',
  ];
}

function fanoutTable(c: Results): string[] {
  const fa = c.fanout;
  const out = ['### Fan-out: one session, listeners split across the 2 gateway processes', ''];
  if (!fa) return [...out, 'Not measured.', ''];
  return [
    ...out,
    `Caption delay = ${c.definitions.fanoutCaptionDelay} Goal (issue 11): ${fa.goal.listeners} listeners at caption p95 ≤ ${fa.goal.captionP95Ms} ms with nothing lost. The ramp stops after a step that lost a caption, failed > ${fa.breaks.connectFailedPct} % of its connections or lost a gateway process; a step with caption p99 > ${fa.breaks.captionP99Ms} ms is marked slow and the ramp goes on (older runs stopped there).`,
    '',
    '| listeners (A + B) | caption p50/p95/p99 ms | gateway A p95 / B p95 ms | captions lost | audio dropped | gateway CPU % (A + B) | gateway RSS peak MB (A + B) | worker CPU % | listener procs CPU % | takeovers | load 1m start→end | goal met | held |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...fa.steps.map(fanoutStepRow),
    '',
  ];
}

function fanoutStepRow(st: Results): string {
  if (st.failed)
    return `| ${st.listeners} | failed: ${st.error} | | | | | | | | | | no | no: the step failed |`;
  const d = st.captionDelayMs;
  return `| ${st.listeners} (${st.perGateway.join(' + ')}; ${st.connectFailed} failed) | ${f(d.p50)} / ${f(d.p95)} / ${f(d.p99)} | ${st.byGateway.map((g: Results) => f(g.captionDelayMs.p95)).join(' / ')}${st.referenceCaptionDelayMs ? ` (reference listeners: ${f(st.referenceCaptionDelayMs.p95)})` : ''} | ${st.captionsLost} (of ${st.captionsPublished} published) | ${st.audioDropped} (${st.audioDroppedPct} %) | ${st.gatewayCpuPct.join(' + ')} | ${st.gatewayRssPeakMb.join(' + ')} | ${st.workerCpuPct.join(' + ')} | ${st.listenerProcessCpuPct.join(' + ')} | ${st.workerTakeovers} | ${f(st.loadAverage1m?.join(' → '))} | ${st.meetsGoal ? 'yes' : 'no'} | ${st.held ? 'yes' : `no: ${st.why}`}${st.slow ? ` (slow: ${st.slow})` : ''} |`;
}

const perWorker = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([w, n]) => `${w} ${n}`)
    .join(', ');

function spread(c: Results): string[] {
  const sp = c.spread;
  const out = ['### Sessions spread over the workers', ''];
  if (!sp) return [...out, 'Not measured.', ''];
  if (sp.failed) return [...out, `Failed: ${sp.error}`, ''];
  return [
    ...out,
    `${sp.sessions} sessions, speakers streaming at once (alternating gateways); ${c.definitions.spread}. At the end of the speech: ${perWorker(sp.final)} (most at any sample: ${perWorker(sp.maxHeld)}); all held ${f(sp.allHeldMs)} ms after the speakers started; ${sp.takeovers} takeovers and ${sp.gapFrames} frames missing meanwhile; load 1m ${f(sp.loadAverage1m?.join(' → '))}.`,
    '',
  ];
}
