/**
 * Fan-out accounting by language (pure, shared by the listener processes and the benchmark).
 *
 * What each listener should receive follows the hub (packages/core/src/hub/session-hub.ts):
 * - source captions (partial and final) go to every listener, whatever its language;
 * - translation captions, drafts and audio packets go only to the listeners of their language.
 * Drafts are transient: the hub skips them for a listener whose send buffer is behind, so a missing
 * draft is counted as a dropped draft, never as a lost caption.
 *
 * The server-side probe records every published message as [seq, time, kind, lang], lang being
 * '' for what goes to everyone (source captions).
 */
import { Histogram, type HistogramJSON } from './histogram.ts';

export const KIND = { caption: 0, audio: 1, draft: 2 } as const;
export type Kind = (typeof KIND)[keyof typeof KIND];
/** [seq, publish time (epoch ms, fractional), kind, language ('' = every listener)] */
export type Published = [number, number, Kind, string];

/** What one listener process received, per target language. */
export interface LanguageTally {
  listeners: number;
  caption: HistogramJSON;
  audio: HistogramJSON;
  draft: HistogramJSON;
  captionsReceived: number;
  audioReceived: number;
  draftsReceived: number;
  /** Captions, drafts or audio of another language: the hub sent them to the wrong listener. */
  wrongLanguage: number;
  /** Seqs the probe never saw published (should be 0). */
  unmatched: number;
  /** Fewest captions / audio packets one listener of this language got (to spot one behind). */
  minCaptions: number;
  minAudio: number;
}

export interface ReceivedLog {
  language: string;
  seqs: number[];
  times: number[];
}

export function indexPublished(published: Published[]): Map<number, Published> {
  const pub = new Map<number, Published>();
  for (const p of published) pub.set(p[0], p);
  return pub;
}

/** Per language, what the listeners of one process received, matched against the probe. */
export function tally(listeners: ReceivedLog[], published: Published[]): Record<string, LanguageTally> {
  const pub = indexPublished(published);
  const hist = new Map<string, { caption: Histogram; audio: Histogram; draft: Histogram }>();
  const out: Record<string, LanguageTally> = {};
  for (const l of listeners) {
    let t = out[l.language];
    let h = hist.get(l.language);
    if (!t || !h) {
      t = out[l.language] = {
        listeners: 0,
        caption: new Histogram().toJSON(),
        audio: new Histogram().toJSON(),
        draft: new Histogram().toJSON(),
        captionsReceived: 0,
        audioReceived: 0,
        draftsReceived: 0,
        wrongLanguage: 0,
        unmatched: 0,
        minCaptions: Number.POSITIVE_INFINITY,
        minAudio: Number.POSITIVE_INFINITY,
      };
      h = { caption: new Histogram(), audio: new Histogram(), draft: new Histogram() };
      hist.set(l.language, h);
    }
    t.listeners++;
    let captions = 0;
    let audio = 0;
    for (let i = 0; i < l.seqs.length; i++) {
      const p = pub.get(l.seqs[i]!);
      if (!p) {
        t.unmatched++;
        continue;
      }
      if (p[3] !== '' && p[3] !== l.language) {
        t.wrongLanguage++;
        continue;
      }
      const delay = l.times[i]! - p[1];
      if (p[2] === KIND.audio) {
        h.audio.add(delay);
        audio++;
      } else if (p[2] === KIND.draft) {
        h.draft.add(delay);
        t.draftsReceived++;
      } else {
        h.caption.add(delay);
        captions++;
      }
    }
    t.captionsReceived += captions;
    t.audioReceived += audio;
    t.minCaptions = Math.min(t.minCaptions, captions);
    t.minAudio = Math.min(t.minAudio, audio);
  }
  for (const [lang, h] of hist) {
    const t = out[lang]!;
    t.caption = h.caption.toJSON();
    t.audio = h.audio.toJSON();
    t.draft = h.draft.toJSON();
  }
  return out;
}

type Summary = ReturnType<Histogram['summary']>;

/** Distinct messages published, by kind (for one language: what each of its listeners should get). */
export interface PublishedCounts {
  captionsPublished: number;
  audioPublished: number;
  draftsPublished: number;
}

/** What did not arrive, as every fan-out figure reports it (per language, per step, per gateway). */
export interface Losses {
  captionsLost: number;
  /** Audio packets a listener should have had but did not (the hub drops audio first, by design). */
  audioDropped: number;
  audioDroppedPct: number;
  /** Drafts the hub may skip for a listener that is behind: reported, not a loss. */
  draftsDropped: number;
  /** Messages of another language a listener received (a routing bug if not 0). */
  wrongLanguage: number;
  /** Messages no reference received (so their publish time is unknown). */
  unmatched: number;
}

/** Delay from publish to a listener's receipt, by kind. */
export interface Delays {
  captionDelayMs: Summary;
  audioDelayMs: Summary;
  draftDelayMs: Summary;
}

export interface LanguageAccount extends PublishedCounts, Losses, Delays {
  /** Listeners of this language that connected (each is expected to receive everything below). */
  listeners: number;
  captionsReceived: number;
  audioReceived: number;
  draftsReceived: number;
  minCaptions: number | null;
  minAudio: number | null;
}

/** Over all languages: captionsPublished counts source captions + every language's translations. */
export interface FanoutAccount extends PublishedCounts, Losses, Delays {
  byLanguage: Record<string, LanguageAccount>;
  sourceCaptionsPublished: number;
}

const pct = (part: number, whole: number) => (whole ? Math.round(((100 * part) / whole) * 100) / 100 : 0);

/**
 * Loss and delay per language: a listener of language L is expected to receive every source
 * caption plus L's translations and audio packets, and (if it keeps up) L's drafts.
 * `connected` is how many listeners of each language connected.
 */
export function account(
  published: Published[],
  tallies: Array<Record<string, LanguageTally>>,
  connected: Record<string, number>,
): FanoutAccount {
  const count = (kind: Kind, lang: string) => published.filter((p) => p[2] === kind && p[3] === lang).length;
  const source = count(KIND.caption, '');
  const all = histograms();
  const byLanguage: Record<string, LanguageAccount> = {};
  let audioExpected = 0;
  const langs = [...new Set([...Object.keys(connected), ...tallies.flatMap((t) => Object.keys(t))])].sort();
  for (const lang of langs) {
    const n = connected[lang] ?? 0;
    const expected: PublishedCounts = {
      captionsPublished: source + count(KIND.caption, lang),
      audioPublished: count(KIND.audio, lang),
      draftsPublished: count(KIND.draft, lang),
    };
    const mine = tallies.map((t) => t[lang]).filter((x): x is LanguageTally => x !== undefined);
    byLanguage[lang] = languageAccount(n, expected, mine, all);
    audioExpected += n * expected.audioPublished;
  }
  const total = (k: 'captionsLost' | 'audioDropped' | 'draftsDropped' | 'wrongLanguage' | 'unmatched') =>
    Object.values(byLanguage).reduce((a, l) => a + l[k], 0);
  const audioDropped = total('audioDropped');
  return {
    byLanguage,
    captionsPublished: published.filter((p) => p[2] === KIND.caption).length,
    sourceCaptionsPublished: source,
    audioPublished: published.filter((p) => p[2] === KIND.audio).length,
    draftsPublished: published.filter((p) => p[2] === KIND.draft).length,
    captionsLost: total('captionsLost'),
    audioDropped,
    audioDroppedPct: pct(audioDropped, audioExpected),
    draftsDropped: total('draftsDropped'),
    wrongLanguage: total('wrongLanguage'),
    unmatched: total('unmatched'),
    captionDelayMs: all.caption.summary(),
    audioDelayMs: all.audio.summary(),
    draftDelayMs: all.draft.summary(),
  };
}

const histograms = () => ({ caption: new Histogram(), audio: new Histogram(), draft: new Histogram() });

/**
 * One language: its listeners' tallies (one per listener process) pooled, against what each of
 * its `n` listeners should have received. Their delays are pooled into `all` too.
 */
function languageAccount(
  n: number,
  expected: PublishedCounts,
  tallies: LanguageTally[],
  all: ReturnType<typeof histograms>,
): LanguageAccount {
  const h = histograms();
  const sum = { captions: 0, audio: 0, drafts: 0, wrong: 0, unmatched: 0 };
  let minCaptions: number | null = null;
  let minAudio: number | null = null;
  for (const x of tallies) {
    for (const kind of ['caption', 'audio', 'draft'] as const) {
      h[kind].merge(x[kind]);
      all[kind].merge(x[kind]);
    }
    sum.captions += x.captionsReceived;
    sum.audio += x.audioReceived;
    sum.drafts += x.draftsReceived;
    sum.wrong += x.wrongLanguage;
    sum.unmatched += x.unmatched;
    if (x.listeners > 0) {
      minCaptions = Math.min(minCaptions ?? Number.POSITIVE_INFINITY, x.minCaptions);
      minAudio = Math.min(minAudio ?? Number.POSITIVE_INFINITY, x.minAudio);
    }
  }
  const audioDropped = Math.max(0, n * expected.audioPublished - sum.audio);
  return {
    listeners: n,
    ...expected,
    captionsReceived: sum.captions,
    audioReceived: sum.audio,
    draftsReceived: sum.drafts,
    captionsLost: Math.max(0, n * expected.captionsPublished - sum.captions),
    audioDropped,
    audioDroppedPct: pct(audioDropped, n * expected.audioPublished),
    draftsDropped: Math.max(0, n * expected.draftsPublished - sum.drafts),
    wrongLanguage: sum.wrong,
    unmatched: sum.unmatched,
    minCaptions,
    minAudio,
    captionDelayMs: h.caption.summary(),
    audioDelayMs: h.audio.summary(),
    draftDelayMs: h.draft.summary(),
  };
}

/** N listeners split evenly over the languages (the first ones get one more when it does not divide). */
export function splitEvenly(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}
