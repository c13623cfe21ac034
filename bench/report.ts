/** Markdown report and a hand-written SVG chart (latency per stage, fan-out delay per N). */
import type { Results } from './run.ts';

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
  const p = r.parts;
  if (p.latency) {
    out.push('## Latency (replay in real time)', '');
    if (p.latency.error) out.push(`Failed: ${p.latency.error}`, '');
    else {
      out.push(
        `Engines ${JSON.stringify(p.latency.engines)}, listeners ${p.latency.listen.join(', ')}, ${p.latency.speechSeconds} s of speech over ${p.latency.clips.length} clips.`,
        '',
        '| stage | n | p50 ms | p95 ms |',
        '| --- | --- | --- | --- |',
      );
      for (const [stage, v] of Object.entries(
        p.latency.latencyMs as Record<string, { n: number; p50: number; p95: number }>,
      ))
        out.push(`| ${stage} | ${v.n} | ${f(v.p50)} | ${f(v.p95)} |`);
      out.push(
        '',
        `Server CPU ${p.latency.serverCpuPct} % of one core while replaying; whole-session CPU real-time factor ${p.latency.sessionCpuRtf} (server CPU seconds per second of speech, ${p.latency.listen.length} target languages); peak RSS ${p.latency.serverRssPeakMb} MB.`,
        '',
      );
    }
  }
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
      out.push(
        `Engines ${JSON.stringify(p.fanout.engines)}. Delay = listener receive time − pipeline publish time. A step breaks when caption p99 > ${p.fanout.limits.captionP99Ms} ms, > ${p.fanout.limits.audioDroppedPct} % audio dropped, > ${p.fanout.limits.connectFailedPct} % connections fail, or any caption is lost.`,
        '',
        '| listeners | caption p50/p95/p99 ms | audio p50/p95/p99 ms | audio dropped | captions lost | server CPU % | server RSS MB | listener procs CPU % | held |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      );
      for (const s of p.fanout.steps)
        out.push(
          `| ${s.listeners} (${s.connectFailed} failed) | ${f(s.captionDelayMs.p50)} / ${f(s.captionDelayMs.p95)} / ${f(s.captionDelayMs.p99)} | ${f(s.audioDelayMs.p50)} / ${f(s.audioDelayMs.p95)} / ${f(s.audioDelayMs.p99)} | ${s.audioDropped} (${s.audioDroppedPct} %) | ${s.captionsLost} | ${s.serverCpuPct} | ${s.serverRssPeakMb} | ${s.listenerProcessCpuPct.join(' + ')} | ${s.held ? 'yes' : `no: ${s.why}`} |`,
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

/** Two panels: latency p50/p95 per stage (bars), fan-out delay p50/p95/p99 against listeners (log x). */
export function renderChart(r: Results): string {
  const W = 900;
  const H = 360;
  const parts: string[] = [];
  const text = (x: number, y: number, s: string, extra = '') =>
    `<text x="${x}" y="${y}" font-family="sans-serif" font-size="12" ${extra}>${s.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`;
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  const m = r.machine;
  parts.push(
    text(
      20,
      20,
      `Babelcast bench (${r.quick ? 'quick' : 'full'}) — ${m.cores} cores, Node ${m.node}, ${m.date.slice(0, 10)}`,
      'font-weight="bold"',
    ),
  );

  // Panel 1: latency per stage.
  const lat = r.parts.latency?.latencyMs as
    | Record<string, { p50: number | null; p95: number | null }>
    | undefined;
  const x0 = 60;
  const y0 = 320;
  const ph = 250;
  parts.push(text(x0, 50, 'Latency per stage, ms (p50 dark, p95 light)'));
  if (lat) {
    const stages = Object.entries(lat);
    const max = Math.max(1, ...stages.map(([, v]) => v.p95 ?? 0));
    const bw = 340 / stages.length;
    stages.forEach(([name, v], i) => {
      const x = x0 + i * bw + 8;
      const h95 = ((v.p95 ?? 0) / max) * ph;
      const h50 = ((v.p50 ?? 0) / max) * ph;
      parts.push(`<rect x="${x}" y="${y0 - h95}" width="${bw - 16}" height="${h95}" fill="#9ecae1"/>`);
      parts.push(`<rect x="${x + 6}" y="${y0 - h50}" width="${bw - 28}" height="${h50}" fill="#08519c"/>`);
      parts.push(text(x, y0 + 15, name));
      parts.push(
        text(x, y0 - h95 - 4, `${Math.round(v.p50 ?? 0)}/${Math.round(v.p95 ?? 0)}`, 'font-size="10"'),
      );
    });
  } else parts.push(text(x0, 150, 'latency part not run'));
  parts.push(`<line x1="${x0}" y1="${y0}" x2="${x0 + 340}" y2="${y0}" stroke="black"/>`);

  // Panel 2: fan-out delay vs listeners.
  const steps = (r.parts.fanout?.steps ?? []) as Array<{
    listeners: number;
    captionDelayMs: Record<string, number | null>;
    audioDelayMs: Record<string, number | null>;
  }>;
  const px = 500;
  const pw = 360;
  parts.push(text(px, 50, 'Fan-out delay, ms (log scales): captions solid, audio dashed'));
  if (steps.length) {
    const xs = steps.map((s) => Math.log10(s.listeners));
    const xmin = Math.min(...xs) - 0.1;
    const xmax = Math.max(...xs) + 0.1;
    const all = steps
      .flatMap((s) => [s.captionDelayMs.p99, s.audioDelayMs.p99, s.captionDelayMs.p50])
      .filter((v): v is number => typeof v === 'number' && v > 0);
    const ymin = Math.log10(Math.max(0.1, Math.min(...all) / 2));
    const ymax = Math.log10(Math.max(...all) * 2);
    const X = (n: number) => px + ((Math.log10(n) - xmin) / (xmax - xmin)) * pw;
    const Y = (v: number) => y0 - ((Math.log10(Math.max(0.1, v)) - ymin) / (ymax - ymin)) * ph;
    const colours = { p50: '#2ca02c', p95: '#ff7f0e', p99: '#d62728' } as const;
    for (const [q, colour] of Object.entries(colours)) {
      for (const kind of ['captionDelayMs', 'audioDelayMs'] as const) {
        const pts = steps
          .filter((s) => s[kind][q] !== null)
          .map((s) => `${X(s.listeners)},${Y(s[kind][q]!)}`);
        parts.push(
          `<polyline points="${pts.join(' ')}" fill="none" stroke="${colour}" stroke-width="2" ${kind === 'audioDelayMs' ? 'stroke-dasharray="5,4"' : ''}/>`,
        );
      }
      parts.push(text(px + pw - 40, 70 + Object.keys(colours).indexOf(q) * 14, q, `fill="${colour}"`));
    }
    for (const s of steps)
      parts.push(text(X(s.listeners) - 12, y0 + 15, String(s.listeners), 'font-size="10"'));
    for (const v of [1, 10, 100, 1000, 10000]) {
      const y = Y(v);
      if (y > 55 && y <= y0)
        parts.push(
          text(px - 40, y + 4, `${v}`, 'font-size="10"'),
          `<line x1="${px}" y1="${y}" x2="${px + pw}" y2="${y}" stroke="#eee"/>`,
        );
    }
  } else parts.push(text(px, 150, 'fan-out part not run'));
  parts.push(`<line x1="${px}" y1="${y0}" x2="${px + pw}" y2="${y0}" stroke="black"/>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
