/**
 * How far listeners are behind the speaker, and how much their text flickers: the definitions
 * behind the replay summary's `lagMs`, `voiceDriftMs`, `unshownMoments`, `unvoicedMoments`,
 * `fromLastWordMs` and `erasure` (docs/benchmarks.md, "Lag behind the speaker"). Pure functions
 * over the events a replay recorded, each pinned by tests on small hand-computed sequences
 * (packages/cli/test/replay-metrics.test.ts).
 *
 * Time: every figure is `when the listener gets it − when that moment of speech was sent`. The
 * caller supplies `sentAtMs(mediaMs)`: when the client sent the audio at media position
 * `mediaMs`, on the same clock as the events' `receivedMs` (the replay uses the send time of the
 * 200 ms frame holding it; tests use the identity).
 *
 * Moments of speech: every 100 ms of the source `final` segments' media spans, each span first
 * trimmed to where there is speech (`SpeechBounds`: by default the first and last frame of the
 * audio the client sent that are above an energy threshold), so the endpointer's trailing silence
 * and the VAD's pre-roll are not counted as speech. The moment at `m` stands for the 100 ms of
 * speech ending at `m`. The same moments are used for every language and for both pipeline
 * modes, since they depend only on the audio and the source segmentation.
 */
import { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';
import { mean, type MeanPercentiles, meanPercentiles } from './stats.ts';

export type MetricEventType = 'partial' | 'final' | 'translation' | 'draft' | 'audio';

/** What the metrics read of a replay event (ReplayEvent has these fields). */
export interface MetricEvent {
  type: MetricEventType;
  lang: string;
  segment: number;
  text?: string;
  mediaStartMs: number;
  mediaEndMs: number;
  /** When the listener received it, ms (same clock as `sentAtMs`). */
  receivedMs: number;
  /** Audio only: duration of the packet's audio, ms. */
  durationMs?: number;
}

export interface Span {
  startMs: number;
  endMs: number;
}

/** Where the speech is inside a final's media span (trims pre-roll and the endpointer's silence). */
export type SpeechBounds = (span: Span) => Span;

export interface Moment {
  /** Media position, ms: the moment stands for the speech in (atMs − step, atMs]. */
  atMs: number;
  /** The source segment (final) it belongs to. */
  segment: number;
}

export const MOMENT_STEP_MS = 100;

const words = (text: string | undefined): string[] => (text ?? '').trim().split(/\s+/).filter(Boolean);

/** Each source final's span trimmed by `bounds`, in media order. */
export function speechSegments(
  events: readonly MetricEvent[],
  bounds: SpeechBounds,
): Array<Span & { segment: number }> {
  return events
    .filter((e) => e.type === 'final')
    .map((f) => ({ segment: f.segment, ...bounds({ startMs: f.mediaStartMs, endMs: f.mediaEndMs }) }))
    .sort((a, b) => a.startMs - b.startMs);
}

/**
 * Every `step` ms of speech: the multiples of `step` in (start, end] of each segment. A moment in
 * two overlapping segments is counted once, for the first.
 */
export function speechMoments(
  segments: ReadonlyArray<Span & { segment: number }>,
  step = MOMENT_STEP_MS,
): Moment[] {
  const seen = new Set<number>();
  const out: Moment[] = [];
  for (const s of segments) {
    for (let at = (Math.floor(s.startMs / step) + 1) * step; at <= s.endMs; at += step) {
      if (seen.has(at)) continue;
      seen.add(at);
      out.push({ atMs: at, segment: s.segment });
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** Fallback without the audio: the endpointer closes `silenceMs` after the last speech. */
export function silenceSpeechBounds(silenceMs: number): SpeechBounds {
  return (span) => ({ startMs: span.startMs, endMs: Math.max(span.startMs, span.endMs - silenceMs) });
}

/**
 * Speech bounds from the audio the client sent: 10 ms frames; inside a span, the threshold is the
 * midpoint (in dB) between the span's quietest 50 ms and its 95th-percentile frame; the speech
 * runs from the start of the first frame above it to the end of the last. Adapts to quiet
 * recordings (some FLEURS clips peak around −55 dBFS) and to digital silence alike. A span with no
 * level contrast (under 10 dB) is kept whole.
 */
export function energySpeechBounds(
  samples: Int16Array,
  sampleRate = SPEAKER_SAMPLE_RATE,
  frameMs = 10,
): SpeechBounds {
  const frame = Math.round((sampleRate * frameMs) / 1000);
  const count = Math.floor(samples.length / frame);
  const db = new Float64Array(count);
  for (let f = 0; f < count; f++) {
    let e = 0;
    for (let i = f * frame; i < (f + 1) * frame; i++) e += samples[i]! * samples[i]!;
    db[f] = 10 * Math.log10(e / frame / (32768 * 32768) + 1e-10);
  }
  return (span) => {
    const from = Math.max(0, Math.floor(span.startMs / frameMs));
    const to = Math.min(count, Math.ceil(span.endMs / frameMs));
    if (to - from < 5) return span;
    const levels = Array.from(db.subarray(from, to));
    const sorted = [...levels].sort((a, b) => a - b);
    const loud = sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]!;
    let quiet = Number.POSITIVE_INFINITY;
    for (let i = 0; i + 5 <= levels.length; i++) quiet = Math.min(quiet, mean(levels.slice(i, i + 5))!);
    if (loud - quiet < 10) return span;
    const threshold = (loud + quiet) / 2;
    const first = levels.findIndex((v) => v > threshold);
    let last = levels.length - 1;
    while (last > 0 && levels[last]! <= threshold) last--;
    return {
      startMs: Math.max(span.startMs, (from + first) * frameMs),
      endMs: Math.min(span.endMs, (from + last + 1) * frameMs),
    };
  };
}

/**
 * Start of each segment on the media clock: the earliest start of its source captions and of its
 * non-empty drafts and translations (a draft's own start is that of its uncommitted part only).
 */
function segmentStarts(events: readonly MetricEvent[]): Map<number, number> {
  const starts = new Map<number, number>();
  for (const e of events) {
    if (e.type === 'audio') continue;
    if ((e.type === 'draft' || e.type === 'translation') && words(e.text).length === 0) continue;
    starts.set(e.segment, Math.min(starts.get(e.segment) ?? Number.POSITIVE_INFINITY, e.mediaStartMs));
  }
  return starts;
}

/**
 * When each moment's content is first shown in `lang` (null: never). The line shown for a segment
 * is its translations so far plus the latest draft after them, so a non-empty `draft` or
 * `translation` event shows every moment from its segment's start to its own `mediaEndMs`.
 * Besides, the whole segment is shown once both its final and its last translation have arrived
 * (then nothing more will come for it): this covers the moments after the last word's end that
 * the recogniser gives a chunk, never before the utterance has ended.
 */
export function textShownAt(moments: readonly Moment[], events: readonly MetricEvent[], lang: string) {
  const starts = segmentStarts(events);
  const shown = events.filter(
    (e) => e.lang === lang && (e.type === 'draft' || e.type === 'translation') && words(e.text).length > 0,
  );
  const lastTranslation = new Map<number, number>();
  const final = new Map<number, number>();
  for (const e of events) {
    if (e.type === 'final' && !final.has(e.segment)) final.set(e.segment, e.receivedMs);
    if (e.lang !== lang || e.type !== 'translation') continue;
    lastTranslation.set(e.segment, Math.max(lastTranslation.get(e.segment) ?? e.receivedMs, e.receivedMs));
  }
  const complete = (segment: number) => {
    const t = lastTranslation.get(segment);
    const f = final.get(segment);
    return t === undefined || f === undefined ? Number.POSITIVE_INFINITY : Math.max(t, f);
  };
  return moments.map((m) => {
    let at = complete(m.segment);
    for (const e of shown) {
      if (e.receivedMs >= at) continue;
      const start = starts.get(e.segment) ?? e.mediaStartMs;
      if (start <= m.atMs && m.atMs <= e.mediaEndMs) at = e.receivedMs;
    }
    return Number.isFinite(at) ? at : null;
  });
}

export interface PlayedPacket {
  receivedMs: number;
  durationMs: number;
  /** When the listener starts playing it: max(its arrival, the end of the previous packet). */
  playMs: number;
}

export interface PlayedChunk {
  segment: number;
  startMs: number;
  endMs: number;
  packets: PlayedPacket[];
  /** Total voice duration, ms. */
  durationMs: number;
}

/**
 * A listener who plays every packet of `lang` in arrival order as soon as it arrives, never two at
 * once: each starts at max(its arrival, the end of the previous one). Packets are grouped into
 * voice chunks by the media span they voice (segment, mediaStartMs, mediaEndMs).
 */
export function playVoice(events: readonly MetricEvent[], lang: string): PlayedChunk[] {
  const packets = events
    .filter((e) => e.type === 'audio' && e.lang === lang)
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.receivedMs - b.e.receivedMs || a.i - b.i)
    .map(({ e }) => e);
  const chunks = new Map<string, PlayedChunk>();
  let playhead = Number.NEGATIVE_INFINITY;
  for (const p of packets) {
    const durationMs = p.durationMs ?? 0;
    const playMs = Math.max(playhead, p.receivedMs);
    playhead = playMs + durationMs;
    const key = `${p.segment}:${p.mediaStartMs}:${p.mediaEndMs}`;
    let chunk = chunks.get(key);
    if (!chunk) {
      chunk = {
        segment: p.segment,
        startMs: p.mediaStartMs,
        endMs: p.mediaEndMs,
        packets: [],
        durationMs: 0,
      };
      chunks.set(key, chunk);
    }
    chunk.packets.push({ receivedMs: p.receivedMs, durationMs, playMs });
    chunk.durationMs += durationMs;
  }
  return [...chunks.values()];
}

/**
 * When the listener hears position `x` ms into the chunk's voice: inside the packet holding it,
 * that packet's play start plus the rest. With packets played back to back this is the chunk's
 * play start + x.
 */
function playedAt(chunk: PlayedChunk, x: number): number {
  let offset = 0;
  for (const p of chunk.packets) {
    if (x < offset + p.durationMs) return p.playMs + (x - offset);
    offset += p.durationMs;
  }
  const last = chunk.packets.at(-1)!;
  return last.playMs + last.durationMs;
}

const playEnd = (c: PlayedChunk) => playedAt(c, c.durationMs);

/**
 * When each moment's translated voice is heard in `lang` (null: never voiced).
 * - A moment inside a voice chunk's span [a, b] is heard at the chunk's voice position
 *   (m − a) / (b − a) × its duration (see playedAt).
 * - A moment inside a committed chunk (a non-empty `translation`) that was never voiced (voice
 *   skipped, lost or cut off) is unvoiced.
 * - A moment in no committed chunk (a pause between chunks, before the first word, after the last)
 *   has no words of its own: it is heard when the voice of the segment's committed chunk before it
 *   ends, or, before the segment's first chunk, when that chunk starts playing; unvoiced if that
 *   chunk was not voiced or the segment has no committed chunk. Being silence, it is never heard
 *   before it was said (`notBefore`, the moment's send time).
 */
export function voiceHeardAt(
  moments: readonly Moment[],
  events: readonly MetricEvent[],
  lang: string,
  notBefore: (mediaMs: number) => number = () => Number.NEGATIVE_INFINITY,
) {
  const chunks = playVoice(events, lang);
  const byKey = new Map(chunks.map((c) => [`${c.segment}:${c.startMs}:${c.endMs}`, c]));
  const committed = events.filter(
    (e) => e.type === 'translation' && e.lang === lang && words(e.text).length > 0,
  );
  const voiceOf = (e: MetricEvent) => byKey.get(`${e.segment}:${e.mediaStartMs}:${e.mediaEndMs}`);
  return moments.map((m) => {
    let heard = Number.POSITIVE_INFINITY;
    for (const c of chunks) {
      if (c.packets.length === 0 || m.atMs < c.startMs || m.atMs > c.endMs) continue;
      const x = c.endMs > c.startMs ? ((m.atMs - c.startMs) / (c.endMs - c.startMs)) * c.durationMs : 0;
      heard = Math.min(heard, playedAt(c, x));
    }
    if (Number.isFinite(heard)) return heard;
    if (committed.some((e) => e.mediaStartMs <= m.atMs && m.atMs <= e.mediaEndMs)) return null;
    const own = committed.filter((e) => e.segment === m.segment);
    const before = own.filter((e) => e.mediaEndMs < m.atMs).sort((a, b) => b.mediaEndMs - a.mediaEndMs)[0];
    if (before) {
      const c = voiceOf(before);
      return c ? Math.max(playEnd(c), notBefore(m.atMs)) : null;
    }
    const after = own
      .filter((e) => e.mediaStartMs > m.atMs)
      .sort((a, b) => a.mediaStartMs - b.mediaStartMs)[0];
    const c = after && voiceOf(after);
    return c ? Math.max(c.packets[0]!.playMs, notBefore(m.atMs)) : null;
  });
}

/** Lag of each moment: `at − sentAtMs(moment)`, null where `at` is null. */
export function lagsOf(
  moments: readonly Moment[],
  at: ReadonlyArray<number | null>,
  sentAtMs: (mediaMs: number) => number,
): Array<number | null> {
  return moments.map((m, i) => (at[i] === null ? null : at[i]! - sentAtMs(m.atMs)));
}

/**
 * Change of lag over the talk: mean lag of the moments in its last third minus the mean of those
 * in its first third, thirds of the speech (from the first moment to the last). Null when a third
 * has no lag.
 */
export function driftMs(moments: readonly Moment[], lags: ReadonlyArray<number | null>): number | null {
  if (moments.length === 0) return null;
  const from = Math.min(...moments.map((m) => m.atMs));
  const third = (Math.max(...moments.map((m) => m.atMs)) - from) / 3;
  const first: number[] = [];
  const last: number[] = [];
  moments.forEach((m, i) => {
    const lag = lags[i];
    if (lag === null || lag === undefined) return;
    if (m.atMs <= from + third) first.push(lag);
    else if (m.atMs > from + 2 * third) last.push(lag);
  });
  const a = mean(first);
  const b = mean(last);
  return a === null || b === null ? null : Math.round((b - a) * 10) / 10;
}

export interface Erasure {
  /** Words removed from a shown line by the updates, over all segments. */
  erasedWords: number;
  /** Words of the segments' final lines (their translations, joined). */
  finalWords: number;
  /** erasedWords / finalWords; null without final words. */
  erasure: number | null;
}

/**
 * Normalized erasure (Arivazhagan et al. 2020) of what listeners of `lang` were shown. The line of
 * a segment is its translations so far + the latest draft received after the last of them; each
 * draft or translation updates it. An update erases the words of the previous line past the
 * longest common prefix (in whitespace-separated words) of the previous and the new line.
 */
export function normalizedErasure(events: readonly MetricEvent[], lang: string): Erasure {
  const lines = new Map<number, { committed: string[]; draft: string[]; shown: string[] }>();
  let erasedWords = 0;
  for (const e of events) {
    if (e.lang !== lang || (e.type !== 'draft' && e.type !== 'translation')) continue;
    let line = lines.get(e.segment);
    if (!line) {
      line = { committed: [], draft: [], shown: [] };
      lines.set(e.segment, line);
    }
    if (e.type === 'translation') {
      line.committed.push(...words(e.text));
      line.draft = [];
    } else line.draft = words(e.text);
    const next = [...line.committed, ...line.draft];
    let common = 0;
    while (common < line.shown.length && common < next.length && line.shown[common] === next[common])
      common++;
    erasedWords += line.shown.length - common;
    line.shown = next;
  }
  let finalWords = 0;
  for (const l of lines.values()) finalWords += l.committed.length;
  return {
    erasedWords,
    finalWords,
    erasure: finalWords === 0 ? null : Math.round((erasedWords / finalWords) * 1000) / 1000,
  };
}

export interface LanguageLag {
  text: MeanPercentiles;
  voice: MeanPercentiles;
  /** Moments never shown / never voiced in this language (not in the figures above). */
  unshownMoments: number;
  unvoicedMoments: number;
  voiceDriftMs: number | null;
  textDriftMs: number | null;
  /** The per-moment lags (null = never), so runs can be pooled. */
  textSamples: Array<number | null>;
  voiceSamples: Array<number | null>;
}

export function languageLag(args: {
  moments: readonly Moment[];
  events: readonly MetricEvent[];
  lang: string;
  sentAtMs: (mediaMs: number) => number;
}): LanguageLag {
  const { moments, events, lang, sentAtMs } = args;
  const text = lagsOf(moments, textShownAt(moments, events, lang), sentAtMs);
  const voice = lagsOf(moments, voiceHeardAt(moments, events, lang, sentAtMs), sentAtMs);
  const present = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null);
  return {
    text: meanPercentiles(present(text)),
    voice: meanPercentiles(present(voice)),
    unshownMoments: text.length - present(text).length,
    unvoicedMoments: voice.length - present(voice).length,
    voiceDriftMs: driftMs(moments, voice),
    textDriftMs: driftMs(moments, text),
    textSamples: text,
    voiceSamples: voice,
  };
}

export interface FromLastWord {
  final: number[];
  translation: number[];
  firstVoice: number[];
}

/**
 * Latency from the end of each final's speech (its last word, `bounds`), not from the endpointer's
 * close: the source `final` caption; per language, the first translation that commits the last
 * word (its span reaches it, or it is the segment's last translation); and the first packet of
 * the voice chunk that voices it (the chunk whose span holds it, else the segment's last voiced
 * chunk before it). Samples of all languages are pooled, as the summary's `latencyMs` does.
 */
export function fromLastWord(args: {
  events: readonly MetricEvent[];
  languages: readonly string[];
  bounds: SpeechBounds;
  sentAtMs: (mediaMs: number) => number;
}): FromLastWord {
  const { events, languages, bounds, sentAtMs } = args;
  const out: FromLastWord = { final: [], translation: [], firstVoice: [] };
  const finals = events.filter((e) => e.type === 'final');
  const chunksByLang = new Map(languages.map((l) => [l, playVoice(events, l)]));
  const starts = segmentStarts(events);
  for (const f of finals) {
    const end = bounds({ startMs: f.mediaStartMs, endMs: f.mediaEndMs }).endMs;
    const sent = sentAtMs(end);
    out.final.push(f.receivedMs - sent);
    for (const lang of languages) {
      const own = events.filter(
        (e) => e.type === 'translation' && e.lang === lang && e.segment === f.segment,
      );
      const reaching = events.filter(
        (e) =>
          e.type === 'translation' &&
          e.lang === lang &&
          words(e.text).length > 0 &&
          (starts.get(e.segment) ?? e.mediaStartMs) <= end &&
          end <= e.mediaEndMs,
      );
      const t = reaching.length
        ? Math.min(...reaching.map((e) => e.receivedMs))
        : own.length
          ? Math.max(...own.map((e) => e.receivedMs))
          : null;
      if (t !== null) out.translation.push(t - sent);
      const chunks = chunksByLang.get(lang)!.filter((c) => c.segment === f.segment && c.packets.length > 0);
      const holding = chunks.filter((c) => c.startMs <= end && end <= c.endMs);
      const before = chunks.filter((c) => c.endMs < end).sort((a, b) => b.endMs - a.endMs);
      const pick = holding.length > 0 ? holding : before.slice(0, 1);
      if (pick.length > 0) out.firstVoice.push(Math.min(...pick.map((c) => c.packets[0]!.receivedMs)) - sent);
    }
  }
  return out;
}
