/** The latency part's Markdown: both pipeline modes side by side, then per language and per talk. */
import type { Results } from '../lib/results.ts';
import { f, mp, type Trio } from './format.ts';

export function latencySection(l: Results): string[] {
  const out: string[] = ['## Latency: how far behind the speaker (replay in real time)', ''];
  if (l.error) return [...out, `Failed: ${l.error}`, ''];
  const modes = Object.keys(l.modes ?? {});
  return [
    ...out,
    ...setup(l),
    ...modeTable(l, modes),
    ...comparison(l.comparison),
    ...perTalkTable(l, modes),
    ...stageTable(l, modes),
    ...failedSteps(l.failed),
    '',
  ];
}

function setup(l: Results): string[] {
  const d = l.data;
  return [
    `Talks ${d.clips.join(', ')} (shared data ${d.sharedData}), listeners ${l.listen.join(', ')}, engines ${JSON.stringify(l.engines)}, replay speed ${d.speed}${d.speed === 1 ? ' (real time)' : ' (NOT real time: figures are not comparable)'}; each mode on its own server process, warmed with ${d.warmUpClip ?? 'nothing'}.`,
    '',
    `Instant: ${l.definitions.instant} ${l.definitions.moments}`,
    '',
  ];
}

/** A table row with one cell per mode: the figure `pick` takes, or the mode's failure. */
function modeRow(l: Results, modes: string[], name: string, pick: (m: Results) => string): string {
  const cell = (mode: string) => {
    const m = l.modes[mode];
    return m.error ? `failed: ${m.error}` : pick(m);
  };
  return `| ${name} | ${modes.map(cell).join(' | ')} |`;
}

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

function modeTable(l: Results, modes: string[]): string[] {
  const row = (name: string, pick: (m: Results) => string) => modeRow(l, modes, name, pick);
  return [
    `| figure | ${modes.join(' | ')} |`,
    `| --- | ${modes.map(() => '---').join(' | ')} |`,
    row('text lag mean / p95 ms', (m) => mp(m.lagMs.all.text)),
    row('voice lag mean / p95 ms', (m) => mp(m.lagMs.all.voice)),
    row(
      'voice drift, last − first third, mean (worst) ms',
      (m) => `${f(m.voiceDriftMs.mean)} (${f(m.voiceDriftMs.worst)})`,
    ),
    row('normalized erasure', (m) => f(m.erasure.all)),
    row(
      'moments of speech / unshown / unvoiced',
      (m) => `${m.speechMoments} / ${sum(m.unshownMoments)} / ${sum(m.unvoicedMoments)}`,
    ),
    row('from the last word: final / translation / first voice, mean ms', (m) =>
      [m.fromLastWordMs.final, m.fromLastWordMs.translation, m.fromLastWordMs.firstVoice]
        .map((x) => f(x.mean))
        .join(' / '),
    ),
    row(
      'CPU s per s of speech: server / whole tree',
      (m) =>
        `${f(m.cpuPerSession.serverCpuSecondsPerSpeechSecond)} / ${f(m.cpuPerSession.treeCpuSecondsPerSpeechSecond)}`,
    ),
  ];
}

/** Rows that compare simultaneous mode with sentence mode (translation quality, CPU). */
function comparison(c: Results | undefined): string[] {
  if (!c) return [];
  if (!c.available) return ['', `No comparison: ${c.why}.`];
  const out: string[] = [];
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
  return out;
}

function perTalkTable(l: Results, modes: string[]): string[] {
  const out = [
    '',
    '### Per language and per talk',
    '',
    '| mode | talk | lang | text mean / p95 ms | voice mean / p95 ms | voice drift ms | erasure | unshown / unvoiced | CPU s (server / tree) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
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
  return out;
}

function stageTable(l: Results, modes: string[]): string[] {
  return [
    '',
    '### From the end of each span (the endpointer close for finals), p50 / p95 ms',
    '',
    `| stage | ${modes.join(' | ')} |`,
    `| --- | ${modes.map(() => '---').join(' | ')} |`,
    ...['partial', 'final', 'translation', 'draft', 'audio'].map((stage) =>
      modeRow(l, modes, stage, (m) => {
        const v = m.latencyMs[stage];
        return v ? `${f(v.p50)} / ${f(v.p95)} (n ${v.n})` : '–';
      }),
    ),
  ];
}

function failedSteps(failed: Results[] | undefined): string[] {
  if (!failed?.length) return [];
  return [
    '',
    '**Failed steps:**',
    '',
    ...failed.map((x) => `- ${x.mode}${x.clip ? ` ${x.clip}` : ''} (${x.step}): ${x.error}`),
  ];
}
