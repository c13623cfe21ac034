/** Markdown report and a hand-written SVG chart (latency per stage, fan-out delay per N). */
import type { Results } from './lib/results.ts';
import type { LanguageAccount } from './lib/fanout-accounting.ts';

const f = (x: unknown) => (x === null || x === undefined ? '–' : String(x));

export function renderMarkdown(r: Results, chartFile: string): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`# Babelcast benchmark (${r.quick ? 'quick' : 'full'} run)`, '');
  out.push(
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGb} GB RAM, Node ${m.node}, ${m.platform}, ${m.date}.`,
    `${m.note}. Total time ${r.totalSeconds} s. Engines requested: \`${JSON.stringify(r.engines)}\`.`,
    ...(r.substituted?.length ? ['', `**Substituted:** ${r.substituted.join('; ')}.`] : []),
    '',
    `![latency and fan-out](${chartFile})`,
    '',
  );
  if (r.failedSteps?.length) {
    out.push('**Failed steps** (their figures are missing below):', '');
    for (const s of r.failedSteps as Array<Record<string, unknown>>) {
      const { part, error, ...where } = s;
      out.push(`- ${part} ${JSON.stringify(where)}: ${error}`);
    }
    out.push('');
  }
  const p = r.parts;
  if (p.latency) out.push(...latencySection(p.latency));
  if (p.accuracy) {
    out.push('## Accuracy', '');
    if (p.accuracy.error) out.push(`Failed: ${p.accuracy.error}`, '');
    else {
      out.push(
        `Engines ${JSON.stringify(p.accuracy.engines)}.`,
        '',
        '| metric | value | over |',
        '| --- | --- | --- |',
      );
      for (const [lang, v] of Object.entries(
        p.accuracy.werPct as Record<string, { wer: number; words: number; clips: number }>,
      ))
        out.push(`| WER ${lang} | ${v.wer} % | ${v.clips} clips, ${v.words} words |`);
      for (const [pair, v] of Object.entries(
        p.accuracy.textChrF as Record<string, { chrF: number; sentences: number }>,
      ))
        out.push(`| chrF ${pair} (FLORES text) | ${v.chrF} | ${v.sentences} sentences |`);
      for (const [pair, v] of Object.entries(
        p.accuracy.speechChrF as Record<string, { chrF: number; clips: number }>,
      ))
        out.push(`| chrF ${pair} (speech→translation) | ${v.chrF} | ${v.clips} FLEURS clips |`);
      if (p.accuracy.skippedLanguages.length)
        out.push('', `No recogniser for: ${p.accuracy.skippedLanguages.join(', ')} (skipped).`);
      out.push('');
    }
  }
  if (p.throughput) {
    out.push('## Throughput', '');
    if (p.throughput.error) out.push(`Failed: ${p.throughput.error}`, '');
    else {
      const t = p.throughput;
      out.push(
        `Recogniser ${t.asr.engine} + ${t.asr.vad} alone: real-time factor ${t.asr.rtf} over ${t.asr.audioSeconds} s.`,
        '',
        `Concurrent real-time sessions (clip ${t.clip}, listeners ${t.listen.join(', ')}, engines ${JSON.stringify(t.engines)}): **${t.sustainedSessions} sustained**.`,
        '',
        '| sessions | final p50/p95 ms | translation p50/p95 ms | audio p95 ms | worst session final p95 | server CPU % | peak RSS MB | held |',
        '| --- | --- | --- | --- | --- | --- | --- | --- |',
      );
      for (const s of t.steps)
        out.push(
          `| ${s.sessions} | ${f(s.latencyMs.final.p50)} / ${f(s.latencyMs.final.p95)} | ${f(s.latencyMs.translation.p50)} / ${f(s.latencyMs.translation.p95)} | ${f(s.latencyMs.audio.p95)} | ${f(s.worstSessionFinalP95)} (limit ${s.finalP95LimitMs}) | ${s.serverCpuPct} | ${s.serverRssPeakMb} | ${s.held ? 'yes' : 'no'} |`,
        );
      out.push('');
    }
  }
  if (p.fanout) {
    out.push('## Fan-out (one session, listeners in 2 other processes on loopback)', '');
    if (p.fanout.error) out.push(`Failed: ${p.fanout.error}`, '');
    else {
      const languages: string[] | undefined = p.fanout.steps.find(
        (s: { languages?: string[] }) => s.languages,
      )?.languages;
      out.push(
        `Engines ${JSON.stringify(p.fanout.engines)}. Delay = listener receive time − pipeline publish time. A step breaks when caption p99 > ${p.fanout.limits.captionP99Ms} ms, > ${p.fanout.limits.audioDroppedPct} % audio dropped, > ${p.fanout.limits.connectFailedPct} % connections fail, any caption is lost, or a message reaches a listener of another language.`,
        '',
        languages
          ? `Listeners split evenly between ${languages.join(' and ')} (captions and voice in ${languages.length} language${languages.length === 1 ? '' : 's'}). Each listener is expected to receive the source captions plus its own language's translations and audio packets; loss and delay are counted against that, per language below. Drafts the hub skips for a listener that is behind are counted apart (drafts dropped), not as lost captions.`
          : 'Every listener on one language (an older run).',
        '',
        '| listeners | caption p50/p95/p99 ms | audio p50/p95/p99 ms | audio dropped | captions lost | server CPU % | server RSS MB | listener procs CPU % | held |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      );
      for (const s of p.fanout.steps) {
        if (s.failed) {
          out.push(`| ${s.listeners} | failed: ${s.error} | | | | | | | no: the step failed |`);
          continue;
        }
        out.push(
          `| ${s.listeners} (${s.connectFailed} failed) | ${f(s.captionDelayMs.p50)} / ${f(s.captionDelayMs.p95)} / ${f(s.captionDelayMs.p99)} | ${f(s.audioDelayMs.p50)} / ${f(s.audioDelayMs.p95)} / ${f(s.audioDelayMs.p99)} | ${s.audioDropped} (${s.audioDroppedPct} %) | ${s.captionsLost} | ${s.serverCpuPct} | ${s.serverRssPeakMb} | ${s.listenerProcessCpuPct.join(' + ')} | ${s.held ? 'yes' : `no: ${s.why}`} |`,
        );
      }
      const split = p.fanout.steps.filter((s: { byLanguage?: object }) => s.byLanguage);
      if (split.length) {
        out.push(
          '',
          'Per language (per listener: what each listener of that language should receive):',
          '',
          '| listeners | language | listeners of it | per listener: captions / audio / drafts | caption p50/p95/p99 ms | audio p50/p95/p99 ms | captions lost | audio dropped | drafts dropped |',
          '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        );
        for (const s of split)
          for (const [lang, l] of Object.entries(s.byLanguage as Record<string, LanguageAccount>))
            out.push(
              `| ${s.listeners} | ${lang} | ${l.listeners} | ${l.captionsPublished} / ${l.audioPublished} / ${l.draftsPublished} | ${f(l.captionDelayMs.p50)} / ${f(l.captionDelayMs.p95)} / ${f(l.captionDelayMs.p99)} | ${f(l.audioDelayMs.p50)} / ${f(l.audioDelayMs.p95)} / ${f(l.audioDelayMs.p99)} | ${l.captionsLost} | ${l.audioDropped} (${l.audioDroppedPct} %) | ${l.draftsDropped} |`,
            );
      }
      const last = p.fanout.steps.at(-1);
      if (last?.failed)
        out.push(
          '',
          `**The ${last.listeners}-listener step failed** (${last.error}); the ramp stopped there.`,
        );
      out.push('');
    }
  }
  if (p.soak) {
    out.push('## Soak', '');
    if (p.soak.error) out.push(`Failed: ${p.soak.error}`, '');
    else {
      const s = p.soak;
      out.push(
        `${s.sessions} sessions × ${s.listenersPerSession} listeners for ${s.durationS} s (fake engines, Opus).`,
        '',
        `- Lost: worst listener missed ${s.captionsLostWorstListener} of ${s.captionsPerListener} captions and ${s.audioLostWorstListener} of ${s.audioPacketsPerListener} audio packets; ${s.listenersDisconnected} listeners disconnected; hub dropped ${s.audioDroppedByHub} audio packets; ${s.slowConsumerDisconnects} slow-consumer disconnects.`,
        `- Memory: RSS ${s.rss.firstThirdMb} MB (first third) → ${s.rss.lastThirdMb} MB (last third), growth ${s.rss.growthMb} MB.`,
        `- Translation latency p50/p95: first third ${f(s.translationLatencyMs.first.p50)} / ${f(s.translationLatencyMs.first.p95)} ms, last third ${f(s.translationLatencyMs.last.p50)} / ${f(s.translationLatencyMs.last.p95)} ms.`,
        `- Server CPU ${f(s.serverCpuPct)} % of one core.`,
        '',
      );
    }
  }
  if (p.cluster) out.push(...clusterSection(p.cluster));
  if (p.engines && !p.engines.error) {
    out.push('## Engines on their own', '');
    out.push(
      "From the engine packages' own benchmarks (bench/asr-vad.bench.ts, bench/mt-tts.bench.ts); " +
        (r.quick
          ? 'cited from their last saved results (a full run re-runs them).'
          : 'run as part of this benchmark.'),
      '',
      '```json',
      JSON.stringify(p.engines, (k, v) => (k === 'perClip' || k === 'clips' ? undefined : v), 1).slice(
        0,
        4000,
      ),
      '```',
      '',
    );
  }
  return `${out.join('\n')}\n`;
}

type Trio = { n?: number; mean: number | null; p50?: number | null; p95: number | null };
const mp = (x: Trio | undefined) => (x ? `${f(x.mean)} / ${f(x.p95)}` : '–');

/** The latency part: both pipeline modes side by side, then per language and per talk. */
function latencySection(l: Results): string[] {
  const out: string[] = ['## Latency: how far behind the speaker (replay in real time)', ''];
  if (l.error) return [...out, `Failed: ${l.error}`, ''];
  const modes = Object.keys(l.modes ?? {});
  const d = l.data;
  out.push(
    `Talks ${d.clips.join(', ')} (shared data ${d.sharedData}), listeners ${l.listen.join(', ')}, engines ${JSON.stringify(l.engines)}, replay speed ${d.speed}${d.speed === 1 ? ' (real time)' : ' (NOT real time: figures are not comparable)'}; each mode on its own server process, warmed with ${d.warmUpClip ?? 'nothing'}.`,
    '',
    `Instant: ${l.definitions.instant} ${l.definitions.moments}`,
    '',
  );
  const cell = (mode: string, pick: (m: Results) => string) => {
    const m = l.modes[mode];
    return m.error ? `failed: ${m.error}` : pick(m);
  };
  const row = (name: string, pick: (m: Results) => string) =>
    out.push(`| ${name} | ${modes.map((m) => cell(m, pick)).join(' | ')} |`);
  out.push(`| figure | ${modes.join(' | ')} |`, `| --- | ${modes.map(() => '---').join(' | ')} |`);
  row('text lag mean / p95 ms', (m) => mp(m.lagMs.all.text));
  row('voice lag mean / p95 ms', (m) => mp(m.lagMs.all.voice));
  row(
    'voice drift, last − first third, mean (worst) ms',
    (m) => `${f(m.voiceDriftMs.mean)} (${f(m.voiceDriftMs.worst)})`,
  );
  row('normalized erasure', (m) => f(m.erasure.all));
  row('moments of speech / unshown / unvoiced', (m) => {
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    return `${m.speechMoments} / ${sum(m.unshownMoments)} / ${sum(m.unvoicedMoments)}`;
  });
  row('from the last word: final / translation / first voice, mean ms', (m) =>
    [m.fromLastWordMs.final, m.fromLastWordMs.translation, m.fromLastWordMs.firstVoice]
      .map((x) => f(x.mean))
      .join(' / '),
  );
  row(
    'CPU s per s of speech: server / whole tree',
    (m) =>
      `${f(m.cpuPerSession.serverCpuSecondsPerSpeechSecond)} / ${f(m.cpuPerSession.treeCpuSecondsPerSpeechSecond)}`,
  );
  const c = l.comparison;
  if (c?.available) {
    const refs = Object.entries(
      c.chrF.againstReference as Record<
        string,
        { sentence: number; simultaneous: number; delta: number; clips: number }
      >,
    );
    if (refs.length)
      out.push(
        `| speech→translation chrF vs references (${refs.map(([lang, v]) => `${lang}, ${v.clips} clips`).join('; ')}) | ${refs.map(([lang, v]) => `${lang} ${v.sentence}`).join(', ')} | ${refs.map(([lang, v]) => `${lang} ${v.simultaneous} (Δ ${v.delta})`).join(', ')} |`,
      );
    out.push(
      `| chrF of the committed translation against sentence mode's | 100 | ${Object.entries(
        c.chrF.simultaneousAgainstSentence,
      )
        .map(([lang, v]) => `${lang} ${f(v)}`)
        .join(', ')} |`,
      `| CPU per session, simultaneous ÷ sentence: server / whole tree | 1 | ${f(c.cpuPerSession.ratioServer)} / ${f(c.cpuPerSession.ratioTree)} |`,
    );
    const differ = Object.entries(c.sameSourceTranscript).filter(([, same]) => !same);
    if (differ.length)
      out.push('', `Source transcripts differ between the modes for ${differ.map(([k]) => k).join(', ')}.`);
  } else if (c) out.push('', `No comparison: ${c.why}.`);
  out.push('', '### Per language and per talk', '');
  out.push(
    '| mode | talk | lang | text mean / p95 ms | voice mean / p95 ms | voice drift ms | erasure | unshown / unvoiced | CPU s (server / tree) |',
  );
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const mode of modes)
    for (const clip of (l.clips?.[mode] ?? []) as Results[]) {
      if (clip.error) {
        out.push(`| ${mode} | ${clip.file} | | failed: ${clip.error} | | | | | |`);
        continue;
      }
      for (const [lang, v] of Object.entries(clip.lagMs as Record<string, { text: Trio; voice: Trio }>))
        out.push(
          `| ${mode} | ${clip.file} | ${lang} | ${mp(v.text)} | ${mp(v.voice)} | ${f(clip.voiceDriftMs[lang])} | ${f(clip.erasure[lang])} | ${clip.unshownMoments[lang]} / ${clip.unvoicedMoments[lang]} | ${f(clip.cpu.serverSeconds)} / ${f(clip.cpu.treeSeconds)} |`,
        );
    }
  out.push('', '### From the end of each span (the endpointer close for finals), p50 / p95 ms', '');
  out.push(`| stage | ${modes.join(' | ')} |`, `| --- | ${modes.map(() => '---').join(' | ')} |`);
  for (const stage of ['partial', 'final', 'translation', 'draft', 'audio'])
    row(stage, (m) => {
      const v = m.latencyMs[stage];
      return v ? `${f(v.p50)} / ${f(v.p95)} (n ${v.n})` : '–';
    });
  if (l.failed?.length) {
    out.push('', '**Failed steps:**', '');
    for (const x of l.failed) out.push(`- ${x.mode}${x.clip ? ` ${x.clip}` : ''} (${x.step}): ${x.error}`);
  }
  out.push('');
  return out;
}

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One <text>; each attribute once (a repeated one makes the SVG invalid XML, which renders blank). */
function svgText(
  x: number,
  y: number,
  s: string,
  style: { size?: number; weight?: 'bold'; fill?: string; anchor?: 'middle' | 'end' } = {},
): string {
  const attrs = [
    `x="${round2(x)}"`,
    `y="${round2(y)}"`,
    'font-family="sans-serif"',
    `font-size="${style.size ?? 12}"`,
    ...(style.weight ? [`font-weight="${style.weight}"`] : []),
    ...(style.fill ? [`fill="${style.fill}"`] : []),
    ...(style.anchor ? [`text-anchor="${style.anchor}"`] : []),
  ];
  return `<text ${attrs.join(' ')}>${escapeXml(s)}</text>`;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Two panels: lag behind the speaker (text and voice, mean and p95) per pipeline mode, and fan-out
 * delay p50/p95/p99 against listeners (log scales). Valid XML: checked by a test.
 */
export function renderChart(r: Results): string {
  const W = 900;
  const H = 360;
  const parts: string[] = [];
  const text = svgText;
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  const m = r.machine;
  parts.push(
    text(
      20,
      20,
      `Babelcast bench (${r.quick ? 'quick' : 'full'}) — ${m.cores} cores, Node ${m.node}, ${m.date.slice(0, 10)}`,
      { weight: 'bold' },
    ),
  );

  // Panel 1: lag behind the speaker per mode.
  const x0 = 60;
  const y0 = 320;
  const ph = 240;
  parts.push(text(x0, 50, 'Behind the speaker, ms: mean (dark) and p95 (light)'));
  const modes = Object.entries((r.parts.latency?.modes ?? {}) as Record<string, Results>);
  const bars: Array<{ label: string; mean: number | null; p95: number | null; failed?: string }> = [];
  for (const [mode, v] of modes)
    for (const kind of ['text', 'voice'] as const)
      bars.push(
        v.error
          ? { label: `${kind} ${mode}`, mean: null, p95: null, failed: String(v.error) }
          : { label: `${kind} ${mode}`, mean: v.lagMs.all[kind].mean, p95: v.lagMs.all[kind].p95 },
      );
  if (bars.length) {
    const max = Math.max(1, ...bars.map((b) => b.p95 ?? 0));
    const bw = 360 / bars.length;
    bars.forEach((b, i) => {
      const x = x0 + i * bw + 6;
      if (b.failed) {
        parts.push(text(x, y0 - 10, 'failed', { size: 10, fill: '#d62728' }));
      } else {
        // A negative lag (content shown before it was said) would be a negative height: drawn as 0.
        const h95 = (Math.max(0, b.p95 ?? 0) / max) * ph;
        const hMean = (Math.max(0, b.mean ?? 0) / max) * ph;
        parts.push(
          `<rect x="${round2(x)}" y="${round2(y0 - h95)}" width="${round2(bw - 12)}" height="${round2(h95)}" fill="#9ecae1"/>`,
        );
        parts.push(
          `<rect x="${round2(x + 5)}" y="${round2(y0 - hMean)}" width="${round2(bw - 22)}" height="${round2(hMean)}" fill="#08519c"/>`,
        );
        parts.push(
          text(x, y0 - h95 - 4, `${Math.round(b.mean ?? 0)}/${Math.round(b.p95 ?? 0)}`, { size: 10 }),
        );
      }
      const [kind, mode] = b.label.split(' ');
      parts.push(text(x, y0 + 14, kind!, { size: 10 }), text(x, y0 + 26, mode!, { size: 10 }));
    });
  } else parts.push(text(x0, 150, 'latency part not run'));
  parts.push(`<line x1="${x0}" y1="${y0}" x2="${x0 + 360}" y2="${y0}" stroke="black"/>`);

  // Panel 2: fan-out delay vs listeners.
  const allSteps = (r.parts.fanout?.steps ?? []) as Array<{
    listeners: number;
    failed?: boolean;
    captionDelayMs: Record<string, number | null>;
    audioDelayMs: Record<string, number | null>;
  }>;
  const steps = allSteps.filter((s) => !s.failed);
  const px = 500;
  const pw = 360;
  parts.push(text(px, 50, 'Fan-out delay, ms (log scales): captions solid, audio dashed'));
  const failedStep = allSteps.find((s) => s.failed);
  if (failedStep)
    parts.push(text(px, 66, `the ${failedStep.listeners}-listener step failed`, { fill: '#d62728' }));
  const delays = steps
    .flatMap((s) => [s.captionDelayMs.p99, s.audioDelayMs.p99, s.captionDelayMs.p50])
    .filter((v): v is number => typeof v === 'number' && v > 0);
  if (steps.length && delays.length) {
    const xs = steps.map((s) => Math.log10(s.listeners));
    const xmin = Math.min(...xs) - 0.1;
    const xmax = Math.max(...xs) + 0.1;
    const all = delays;
    const ymin = Math.log10(Math.max(0.1, Math.min(...all) / 2));
    const ymax = Math.log10(Math.max(...all) * 2);
    const X = (n: number) => px + ((Math.log10(n) - xmin) / (xmax - xmin)) * pw;
    const Y = (v: number) => y0 - ((Math.log10(Math.max(0.1, v)) - ymin) / (ymax - ymin)) * ph;
    const colours = { p50: '#2ca02c', p95: '#ff7f0e', p99: '#d62728' } as const;
    for (const [q, colour] of Object.entries(colours)) {
      for (const kind of ['captionDelayMs', 'audioDelayMs'] as const) {
        const pts = steps
          .filter((s) => s[kind][q] !== null)
          .map((s) => `${round2(X(s.listeners))},${round2(Y(s[kind][q]!))}`);
        const dashed = kind === 'audioDelayMs' ? ' stroke-dasharray="5,4"' : '';
        parts.push(
          `<polyline points="${pts.join(' ')}" fill="none" stroke="${colour}" stroke-width="2"${dashed}/>`,
        );
        // Points too, so a ramp that stopped after one step still shows.
        for (const pt of pts) {
          const [cx, cy] = pt.split(',');
          parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${colour}"/>`);
        }
      }
      parts.push(text(px + pw - 40, 70 + Object.keys(colours).indexOf(q) * 14, q, { fill: colour }));
    }
    for (const s of steps) parts.push(text(X(s.listeners) - 12, y0 + 15, String(s.listeners), { size: 10 }));
    for (const v of [1, 10, 100, 1000, 10000]) {
      const y = Y(v);
      if (y > 55 && y <= y0)
        parts.push(
          text(px - 40, y + 4, `${v}`, { size: 10 }),
          `<line x1="${px}" y1="${round2(y)}" x2="${px + pw}" y2="${round2(y)}" stroke="#eee"/>`,
        );
    }
  } else parts.push(text(px, 150, 'fan-out part not run'));
  parts.push(`<line x1="${px}" y1="${y0}" x2="${px + pw}" y2="${y0}" stroke="black"/>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The cluster part: failover runs, fan-out across the gateways, sessions per worker. */
function clusterSection(c: Results): string[] {
  const out: string[] = ['## Cluster (2 gateways + 2 workers on NATS JetStream and PostgreSQL)', ''];
  if (c.error) return [...out, `Failed: ${c.error}`, ''];
  const s = c.setup;
  out.push(
    `${s.gateways} gateways and ${s.workers} workers, each its own process; ${s.nats}; ${s.postgres}. Engines ${JSON.stringify(s.engines)}, pipeline ${s.pipelineMode}. ${s.processes}.`,
    '',
    `Data: failover ${c.data.failoverClip}; fan-out ${c.data.fanoutClip}; spread ${c.data.spreadClip} (shared data ${c.data.sharedData}).`,
    '',
  );
  const fo = c.failover;
  out.push('### Failover (SIGKILL of the worker holding the session, mid-talk)', '');
  if (!fo) out.push('Not measured (the cluster did not start).', '');
  else {
    out.push(
      `Measured ${c.definitions.failover}`,
      '',
      '| run | killed → survivor | held after ms | first caption after the kill, gateway A / B ms | first translation A / B ms | frames missing | seqs repeated A / B | sentences twice A / B | out of order A / B | frames acked / sent | load 1m | ok |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const r of fo.runs) {
      if (r.failed) {
        out.push(`| ${r.run} | failed: ${r.error} | | | | | | | | | | no |`);
        continue;
      }
      out.push(
        `| ${r.run} | ${r.killedWorker} → ${r.survivor} | ${f(r.heldAfterMs)} | ${f(r.firstCaptionMs.A)} / ${f(r.firstCaptionMs.B)} | ${f(r.firstTranslationMs.A)} / ${f(r.firstTranslationMs.B)} | ${f(r.gapFrames)} | ${r.repeatedSeqs.A} / ${r.repeatedSeqs.B} | ${r.repeatedFinals.A} / ${r.repeatedFinals.B} | ${r.outOfOrder.A} / ${r.outOfOrder.B} | ${r.framesAcked} / ${r.framesSent} | ${f(r.loadAverage1mAtKill)} | ${r.ok ? 'yes' : `no: ${r.why}`} |`,
      );
    }
    const m = fo.median;
    out.push(
      `| **median** | | **${f(m.heldAfterMs)}** | **${f(m.firstCaptionMsA)} / ${f(m.firstCaptionMsB)}** (both: ${f(m.firstCaptionBothMs)}) | ${f(m.firstTranslationMsA)} / – | ${fo.framesMissing} in all | ${fo.seqsRepeated} in all | | | | | |`,
      '',
    );
  }
  const fa = c.fanout;
  out.push('### Fan-out: one session, listeners split across the 2 gateway processes', '');
  if (!fa) out.push('Not measured.', '');
  else {
    out.push(
      `Caption delay = ${c.definitions.fanoutCaptionDelay} Goal (issue 11): ${fa.goal.listeners} listeners at caption p95 ≤ ${fa.goal.captionP95Ms} ms with nothing lost. The ramp stops after a step that lost a caption, failed > ${fa.breaks.connectFailedPct} % of its connections or lost a gateway process; a step with caption p99 > ${fa.breaks.captionP99Ms} ms is marked slow and the ramp goes on (older runs stopped there).`,
      '',
      '| listeners (A + B) | caption p50/p95/p99 ms | gateway A p95 / B p95 ms | captions lost | audio dropped | gateway CPU % (A + B) | gateway RSS peak MB (A + B) | worker CPU % | listener procs CPU % | takeovers | load 1m start→end | goal met | held |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const st of fa.steps) {
      if (st.failed) {
        out.push(`| ${st.listeners} | failed: ${st.error} | | | | | | | | | | no | no: the step failed |`);
        continue;
      }
      const d = st.captionDelayMs;
      out.push(
        `| ${st.listeners} (${st.perGateway.join(' + ')}; ${st.connectFailed} failed) | ${f(d.p50)} / ${f(d.p95)} / ${f(d.p99)} | ${st.byGateway.map((g: Results) => f(g.captionDelayMs.p95)).join(' / ')}${st.referenceCaptionDelayMs ? ` (reference listeners: ${f(st.referenceCaptionDelayMs.p95)})` : ''} | ${st.captionsLost} (of ${st.captionsPublished} published) | ${st.audioDropped} (${st.audioDroppedPct} %) | ${st.gatewayCpuPct.join(' + ')} | ${st.gatewayRssPeakMb.join(' + ')} | ${st.workerCpuPct.join(' + ')} | ${st.listenerProcessCpuPct.join(' + ')} | ${st.workerTakeovers} | ${f(st.loadAverage1m?.join(' → '))} | ${st.meetsGoal ? 'yes' : 'no'} | ${st.held ? 'yes' : `no: ${st.why}`}${st.slow ? ` (slow: ${st.slow})` : ''} |`,
      );
    }
    out.push('');
  }
  const sp = c.spread;
  out.push('### Sessions spread over the workers', '');
  if (!sp) out.push('Not measured.', '');
  else if (sp.failed) out.push(`Failed: ${sp.error}`, '');
  else
    out.push(
      `${sp.sessions} sessions, speakers streaming at once (alternating gateways); ${c.definitions.spread}. At the end of the speech: ${Object.entries(
        sp.final,
      )
        .map(([w, n]) => `${w} ${n}`)
        .join(', ')} (most at any sample: ${Object.entries(sp.maxHeld)
        .map(([w, n]) => `${w} ${n}`)
        .join(
          ', ',
        )}); all held ${f(sp.allHeldMs)} ms after the speakers started; ${sp.takeovers} takeovers and ${sp.gapFrames} frames missing meanwhile; load 1m ${f(sp.loadAverage1m?.join(' → '))}.`,
      '',
    );
  out.push(`Cleanup: ${Array.isArray(c.cleanup) ? c.cleanup.join('; ') : c.cleanup}.`, '');
  if (c.failed?.length) {
    out.push('**Failed steps:**', '');
    for (const x of c.failed) out.push(`- ${x.step}: ${x.error}`);
    out.push('');
  }
  return out;
}
