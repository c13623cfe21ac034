/** The Markdown sections of the accuracy, throughput, fan-out, soak and engines parts. */
import type { LanguageAccount } from '../lib/fanout-accounting.ts';
import type { Results } from '../lib/results.ts';
import { f } from './format.ts';

/** A part's heading, then its body, or the error it failed with. */
function section(heading: string, part: Results, body: (part: Results) => string[]): string[] {
  const out = [heading, ''];
  if (part.error) return [...out, `Failed: ${part.error}`, ''];
  return [...out, ...body(part)];
}

export const accuracySection = (a: Results) =>
  section('## Accuracy', a, () => {
    const out = [
      `Engines ${JSON.stringify(a.engines)}.`,
      '',
      '| metric | value | over |',
      '| --- | --- | --- |',
    ];
    for (const [lang, v] of Object.entries(
      a.werPct as Record<string, { wer: number; words: number; clips: number }>,
    ))
      out.push(`| WER ${lang} | ${v.wer} % | ${v.clips} clips, ${v.words} words |`);
    for (const [pair, v] of Object.entries(a.textChrF as Record<string, { chrF: number; sentences: number }>))
      out.push(`| chrF ${pair} (FLORES text) | ${v.chrF} | ${v.sentences} sentences |`);
    for (const [pair, v] of Object.entries(a.speechChrF as Record<string, { chrF: number; clips: number }>))
      out.push(`| chrF ${pair} (speech→translation) | ${v.chrF} | ${v.clips} FLEURS clips |`);
    if (a.skippedLanguages.length)
      out.push('', `No recogniser for: ${a.skippedLanguages.join(', ')} (skipped).`);
    out.push('');
    return out;
  });

export const throughputSection = (t: Results) =>
  section('## Throughput', t, () => [
    `Recogniser ${t.asr.engine} + ${t.asr.vad} alone: real-time factor ${t.asr.rtf} over ${t.asr.audioSeconds} s.`,
    '',
    `Concurrent real-time sessions (clip ${t.clip}, listeners ${t.listen.join(', ')}, engines ${JSON.stringify(t.engines)}${t.config ? `, settings ${JSON.stringify(t.config)}` : ''}): **${t.sustainedSessions} sustained**.`,
    '',
    '| sessions | final p50/p95 ms | translation p50/p95 ms | audio p95 ms | worst session final p95 | server CPU % | peak RSS MB | held |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...t.steps.map(
      (s: Results) =>
        `| ${s.sessions} | ${f(s.latencyMs.final.p50)} / ${f(s.latencyMs.final.p95)} | ${f(s.latencyMs.translation.p50)} / ${f(s.latencyMs.translation.p95)} | ${f(s.latencyMs.audio.p95)} | ${f(s.worstSessionFinalP95)} (limit ${s.finalP95LimitMs}) | ${s.serverCpuPct} | ${s.serverRssPeakMb} | ${s.held ? 'yes' : 'no'} |`,
    ),
    '',
    ...throughputCpuSplit(t.steps.filter((s: Results) => s.cpuSplitPct)),
  ]);

/** Where each step's CPU went (runs since 2026-11-30 16:00 only), and how the server kept up. */
function throughputCpuSplit(steps: Results[]): string[] {
  if (steps.length === 0) return [];
  return [
    'Where the CPU went, % of one core over the step: the server process by thread (main = event loop: pipeline, drafts, hub, Opus, resampling, prosody; other threads busiest first: the recogniser workers, then V8 and libuv helpers), its child processes (running: apertium-apy and its pipelines; exited: the voice programs run per sentence), and the replay clients in the bench process on the same cores. Event loop delay is how late the server main thread ran a timer; MT calls are translations the pipeline asked for (chunks and drafts, mean time incl. queueing).',
    '',
    '| sessions | server main | server other threads | apertium-apy | voice programs | replay clients | event loop delay p50/p99/max ms, utilization | MT calls (mean ms, most at once) | drafts / translations / audio packets published |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...steps.map((s) => {
      const c = s.cpuSplitPct;
      const a = s.activity;
      return `| ${s.sessions} | ${c.serverMainThread} | ${c.serverOtherThreadsTotal} (${c.serverOtherThreads.join(', ')}) | ${c.childrenRunning} | ${c.childrenExited} | ${c.replayClients} | ${a.eventLoopDelayMs.p50} / ${a.eventLoopDelayMs.p99} / ${a.eventLoopDelayMs.max}, ${a.eventLoopUtilization} | ${a.mt.calls} (${a.mt.meanMs}, ${a.mt.maxInFlight}) | ${a.published.drafts} / ${a.published.translations} / ${a.published.audio} |`;
    }),
    '',
  ];
}

export const fanoutSection = (fo: Results) =>
  section('## Fan-out (one session, listeners in 2 other processes on loopback)', fo, () => {
    const languages: string[] | undefined = fo.steps.find(
      (s: { languages?: string[] }) => s.languages,
    )?.languages;
    const out = [
      `Engines ${JSON.stringify(fo.engines)}. Delay = listener receive time − pipeline publish time. A step breaks when caption p99 > ${fo.limits.captionP99Ms} ms, > ${fo.limits.audioDroppedPct} % audio dropped, > ${fo.limits.connectFailedPct} % connections fail, any caption is lost, or a message reaches a listener of another language.`,
      '',
      languages
        ? `Listeners split evenly between ${languages.join(' and ')} (captions and voice in ${languages.length} language${languages.length === 1 ? '' : 's'}). Each listener is expected to receive the source captions plus its own language's translations and audio packets; loss and delay are counted against that, per language below. Drafts the hub skips for a listener that is behind are counted apart (drafts dropped), not as lost captions.`
        : 'Every listener on one language (an older run).',
      '',
      '| listeners | caption p50/p95/p99 ms | audio p50/p95/p99 ms | audio dropped | captions lost | server CPU % | server RSS MB | listener procs CPU % | held |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...fo.steps.map(fanoutStepRow),
      ...fanoutByLanguage(fo.steps.filter((s: { byLanguage?: object }) => s.byLanguage)),
    ];
    const last = fo.steps.at(-1);
    if (last?.failed)
      out.push('', `**The ${last.listeners}-listener step failed** (${last.error}); the ramp stopped there.`);
    out.push('');
    return out;
  });

function fanoutStepRow(s: Results): string {
  if (s.failed) return `| ${s.listeners} | failed: ${s.error} | | | | | | | no: the step failed |`;
  return `| ${s.listeners} (${s.connectFailed} failed) | ${f(s.captionDelayMs.p50)} / ${f(s.captionDelayMs.p95)} / ${f(s.captionDelayMs.p99)} | ${f(s.audioDelayMs.p50)} / ${f(s.audioDelayMs.p95)} / ${f(s.audioDelayMs.p99)} | ${s.audioDropped} (${s.audioDroppedPct} %) | ${s.captionsLost} | ${s.serverCpuPct} | ${s.serverRssPeakMb} | ${s.listenerProcessCpuPct.join(' + ')} | ${s.held ? 'yes' : `no: ${s.why}`} |`;
}

/** Per step and language: what each listener of that language should have received, and did. */
function fanoutByLanguage(split: Results[]): string[] {
  if (!split.length) return [];
  const out = [
    '',
    'Per language (per listener: what each listener of that language should receive):',
    '',
    '| listeners | language | listeners of it | per listener: captions / audio / drafts | caption p50/p95/p99 ms | audio p50/p95/p99 ms | captions lost | audio dropped | drafts dropped |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const s of split)
    for (const [lang, l] of Object.entries(s.byLanguage as Record<string, LanguageAccount>))
      out.push(
        `| ${s.listeners} | ${lang} | ${l.listeners} | ${l.captionsPublished} / ${l.audioPublished} / ${l.draftsPublished} | ${f(l.captionDelayMs.p50)} / ${f(l.captionDelayMs.p95)} / ${f(l.captionDelayMs.p99)} | ${f(l.audioDelayMs.p50)} / ${f(l.audioDelayMs.p95)} / ${f(l.audioDelayMs.p99)} | ${l.captionsLost} | ${l.audioDropped} (${l.audioDroppedPct} %) | ${l.draftsDropped} |`,
      );
  return out;
}

export const soakSection = (s: Results) =>
  section('## Soak', s, () => [
    `${s.sessions} sessions × ${s.listenersPerSession} listeners for ${s.durationS} s (fake engines, Opus).`,
    '',
    `- Lost: worst listener missed ${s.captionsLostWorstListener} of ${s.captionsPerListener} captions and ${s.audioLostWorstListener} of ${s.audioPacketsPerListener} audio packets; ${s.listenersDisconnected} listeners disconnected; hub dropped ${s.audioDroppedByHub} audio packets; ${s.slowConsumerDisconnects} slow-consumer disconnects.`,
    `- Memory: RSS ${s.rss.firstThirdMb} MB (first third) → ${s.rss.lastThirdMb} MB (last third), growth ${s.rss.growthMb} MB.`,
    `- Translation latency p50/p95: first third ${f(s.translationLatencyMs.first.p50)} / ${f(s.translationLatencyMs.first.p95)} ms, last third ${f(s.translationLatencyMs.last.p50)} / ${f(s.translationLatencyMs.last.p95)} ms.`,
    `- Server CPU ${f(s.serverCpuPct)} % of one core.`,
    '',
  ]);

/** The engine packages' own benchmarks, cited as JSON (a failed part is left out). */
export function enginesSection(e: Results, quick: boolean): string[] {
  if (e.error) return [];
  return [
    '## Engines on their own',
    '',
    "From the engine packages' own benchmarks (bench/asr-vad.bench.ts, bench/mt-tts.bench.ts); " +
      (quick
        ? 'cited from their last saved results (a full run re-runs them).'
        : 'run as part of this benchmark.'),
    '',
    '```json',
    JSON.stringify(e, (k, v) => (k === 'perClip' || k === 'clips' ? undefined : v), 1).slice(0, 4000),
    '```',
    '',
  ];
}
