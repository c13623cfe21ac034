/**
 * Fan-out accounting by language (issue 10): listeners are split between es and fr, and each is
 * expected to receive the source captions plus its own language's translations, drafts and
 * audio, never everything that was published. Hand-made probe logs and receive logs, run through
 * the same code the listener processes and the benchmark use, with a scripted step.
 */
import { describe, expect, it } from 'vitest';
import { KIND, type Published, type ReceivedLog, splitEvenly, tally } from '../lib/fanout-accounting.ts';
import { xmlProblems } from '../lib/xml-check.ts';
import { DEFAULT_FANOUT_LANGUAGES, fanoutStep, runFanout } from '../parts/fanout.ts';
import { renderChart, renderMarkdown } from '../report.ts';
import { quickRun } from './results-fixture.ts';

const T0 = 1_000_000;
// One simultaneous-mode segment per language: source partial + final (to everyone), for each of
// es and fr two translation chunks, one draft and three audio packets.
const published: Published[] = [
  [1, T0, KIND.caption, ''], // partial
  [2, T0 + 10, KIND.caption, ''], // final
  [3, T0 + 20, KIND.draft, 'es'],
  [4, T0 + 21, KIND.draft, 'fr'],
  [5, T0 + 30, KIND.caption, 'es'], // translation chunk 1
  [6, T0 + 31, KIND.caption, 'fr'],
  [7, T0 + 40, KIND.caption, 'es'], // translation chunk 2
  [8, T0 + 41, KIND.caption, 'fr'],
  [9, T0 + 50, KIND.audio, 'es'],
  [10, T0 + 51, KIND.audio, 'fr'],
  [11, T0 + 60, KIND.audio, 'es'],
  [12, T0 + 61, KIND.audio, 'fr'],
  [13, T0 + 70, KIND.audio, 'es'],
  [14, T0 + 71, KIND.audio, 'fr'],
];
const byLang = (lang: string) => published.filter((p) => p[3] === '' || p[3] === lang);

/** A listener that received everything meant for it, each `delay` ms after it was published. */
const perfect = (language: string, delay: number, skip: number[] = []): ReceivedLog => {
  const got = byLang(language).filter((p) => !skip.includes(p[0]));
  return { language, seqs: got.map((p) => p[0]), times: got.map((p) => p[1] + delay) };
};

const step = (tallies: ReturnType<typeof tally>[], connected: Record<string, number>) =>
  fanoutStep({
    n: Object.values(connected).reduce((a, b) => a + b, 0),
    languages: ['es', 'fr'],
    connect: { ok: Object.values(connected).reduce((a, b) => a + b, 0), failed: 0, ms: 5 },
    connected,
    published,
    tallies,
    slowConsumerDisconnects: 0,
    serverCpuPct: 1,
    serverRssMb: 100,
    serverRssPeakMb: 110,
    listenerProcessCpuPct: [1, 1],
  });

describe('fan-out accounting per language', () => {
  it('splits the listeners evenly between the languages, and es and fr by default', () => {
    expect(DEFAULT_FANOUT_LANGUAGES).toEqual(['es', 'fr']);
    expect(splitEvenly(500, 2)).toEqual([250, 250]);
    expect(splitEvenly(1001, 2)).toEqual([501, 500]);
    expect(splitEvenly(501, 2).flatMap((n) => splitEvenly(n, 2))).toEqual([126, 125, 125, 125]);
  });

  it('expects source captions plus the own language only: nothing lost when each got its own', () => {
    // Two listener processes, each with one es and one fr listener.
    const a = tally([perfect('es', 2), perfect('fr', 4)], published);
    const b = tally([perfect('es', 2), perfect('fr', 4)], published);
    const s = step([a, b], { es: 2, fr: 2 });
    // The old assumption (every listener gets every caption and audio packet) would call this a
    // loss: 4 listeners × 6 captions published − 16 received = 8 "lost", and half the audio "dropped".
    expect(s.captionsPublished).toBe(6);
    expect(s.audioPublished).toBe(6);
    expect(s.draftsPublished).toBe(2);
    expect(s.captionsLost).toBe(0);
    expect(s.audioDropped).toBe(0);
    expect(s.audioDroppedPct).toBe(0);
    expect(s.draftsDropped).toBe(0);
    expect(s.wrongLanguage).toBe(0);
    expect(s.held).toBe(true);
    expect(s.languages).toEqual(['es', 'fr']);
    expect(s.byLanguage.es).toMatchObject({
      listeners: 2,
      captionsPublished: 4, // partial + final + 2 es translations
      audioPublished: 3,
      draftsPublished: 1,
      captionsReceived: 8,
      audioReceived: 6,
      draftsReceived: 2,
      captionsLost: 0,
      minCaptions: 4,
      minAudio: 3,
    });
    // Delays are per language: es listeners 2 ms behind, fr listeners 4 ms.
    expect(s.byLanguage.es!.captionDelayMs).toMatchObject({ n: 8, max: 2 });
    expect(s.byLanguage.fr!.captionDelayMs).toMatchObject({ n: 8, max: 4 });
    expect(s.byLanguage.fr!.audioDelayMs).toMatchObject({ n: 6, max: 4 });
    expect(s.captionDelayMs.n).toBe(16);
    expect(s.audioDelayMs.n).toBe(12);
    // Drafts have their own delay histogram; they are not in the caption one.
    expect(s.draftDelayMs.n).toBe(4);
  });

  it('counts a missing translation as lost in its language, a missing draft apart, dropped audio per language', () => {
    const a = tally(
      [
        perfect('es', 1),
        // This fr listener missed an fr translation (seq 8), its draft (4) and one audio packet (12).
        perfect('fr', 1, [8, 4, 12]),
      ],
      published,
    );
    const s = step([a], { es: 1, fr: 1 });
    expect(s.byLanguage.fr).toMatchObject({
      captionsLost: 1,
      draftsDropped: 1,
      audioDropped: 1,
      minCaptions: 3,
    });
    expect(s.byLanguage.fr!.audioDroppedPct).toBeCloseTo(33.33, 2);
    expect(s.byLanguage.es).toMatchObject({ captionsLost: 0, draftsDropped: 0, audioDropped: 0 });
    expect(s.captionsLost).toBe(1); // the draft is not a lost caption
    expect(s.draftsDropped).toBe(1);
    expect(s.audioDropped).toBe(1);
    expect(s.audioDroppedPct).toBeCloseTo(16.67, 2); // 1 of the 6 packets the two listeners expected
    expect(s.held).toBe(false);
    expect(s.why).toContain('1 captions lost');
    expect(s.why).not.toContain('draft');
  });

  it('a draft skipped for a listener behind does not break the step', () => {
    const a = tally([perfect('es', 1, [3]), perfect('fr', 1, [4])], published);
    const s = step([a], { es: 1, fr: 1 });
    expect(s).toMatchObject({ captionsLost: 0, draftsDropped: 2, held: true });
  });

  it('flags a message of another language and does not count it as received', () => {
    const es = perfect('es', 1);
    // An fr translation (6) reached an es listener, and it missed its own es translation (5).
    const wrong: ReceivedLog = {
      language: 'es',
      seqs: es.seqs.map((q) => (q === 5 ? 6 : q)),
      times: es.times,
    };
    const s = step([tally([wrong, perfect('fr', 1)], published)], { es: 1, fr: 1 });
    expect(s.wrongLanguage).toBe(1);
    expect(s.byLanguage.es!.captionsLost).toBe(1);
    expect(s.held).toBe(false);
    expect(s.why).toContain('another language');
  });

  it('runs through the ramp with a scripted step, passing the languages', async () => {
    const seen: Array<string[] | undefined> = [];
    const r = await runFanout({
      steps: [100, 1000],
      clip: 'unused.wav',
      processes: 2,
      languages: ['es', 'fr'],
      log: () => {},
      runStep: async (n, options) => {
        seen.push(options.languages);
        const [es, fr] = splitEvenly(n, 2) as [number, number];
        const logs = [
          ...Array.from({ length: es }, () => perfect('es', 3)),
          ...Array.from({ length: fr }, () => perfect('fr', 3, n === 1000 ? [8] : [])),
        ];
        return { result: step([tally(logs, published)], { es, fr }), engines: { asr: 'fake' } };
      },
    });
    expect(seen).toEqual([
      ['es', 'fr'],
      ['es', 'fr'],
    ]);
    expect(r.steps.map((s) => [s.listeners, s.held])).toEqual([
      [100, true],
      [1000, false],
    ]);
    const last = r.steps[1] as ReturnType<typeof step>;
    expect(last.byLanguage.fr).toMatchObject({ listeners: 500, captionsLost: 500 });
    expect(last.byLanguage.es).toMatchObject({ listeners: 500, captionsLost: 0 });
  });
});

describe('fan-out report', () => {
  it('names the languages and shows the per-language split', () => {
    const fr = perfect('fr', 1, [8]);
    const s = step([tally([perfect('es', 1), fr], published)], { es: 1, fr: 1 });
    const results = quickRun({
      fanout: {
        engines: {},
        limits: { captionP99Ms: 1000, audioDroppedPct: 1, connectFailedPct: 1 },
        steps: [s],
      },
    });
    const md = renderMarkdown(results, 'chart.svg');
    expect(md).toContain('Listeners split evenly between es and fr');
    expect(md).toContain('| language |');
    expect(md).toContain('| 2 | es | 1 | 4 / 3 / 1 |');
    expect(md).toMatch(/\| 2 \| fr \| 1 \| 4 \/ 3 \/ 1 \| [^\n]* \| 1 \| 0 \(0 %\) \| 0 \|/);
    expect(xmlProblems(renderChart(results))).toEqual([]);
  });
});
