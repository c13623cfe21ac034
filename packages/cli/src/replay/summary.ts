/**
 * The summary of a replay: per-stage latency from the end of each event's span, the transcripts,
 * and per target language the lag behind each moment of speech, drift and erasure (metrics.ts),
 * plus the samples behind them so the benchmarks can pool runs.
 */
import { SPEAKER_SAMPLE_RATE } from '@babelcast/protocol';
import {
  type Erasure,
  energySpeechBounds,
  fromLastWord,
  languageLag,
  type Moment,
  normalizedErasure,
  speechMoments,
  speechSegments,
} from './metrics.ts';
import { meanPercentiles, percentiles } from './stats.ts';
import type { LanguageLagSummary, LatencyStage, ReplayEvent, ReplaySamples, ReplaySummary } from './types.ts';

export function summarize(args: {
  events: ReplayEvent[];
  /** Send time of each frame, ms since the first. */
  sentAt: Float64Array;
  frameMs: number;
  source: string;
  listen: string[];
  /** The speech sent (16 kHz): where the speech is inside each final (end of the last word). */
  audio: Int16Array;
  inputMs: number;
}): Omit<ReplaySummary, 'inputMs' | 'wallMs' | 'sessionId' | 'server'> & { samples: ReplaySamples } {
  const { events, sentAt, frameMs } = args;
  // When the audio at media position `ms` left the client: the send time of the frame holding it.
  const sentAtMs = (ms: number) => {
    const frame = Math.min(sentAt.length - 1, Math.max(0, Math.ceil(ms / frameMs) - 1));
    return sentAt[frame]!;
  };
  const stages = stageLatencies(events, sentAtMs);
  const targets = args.listen.filter((l) => l !== args.source);
  const { transcript, audioMs } = transcripts(events, args.source, targets);
  const bounds = energySpeechBounds(args.audio, SPEAKER_SAMPLE_RATE);
  const moments = speechMoments(speechSegments(events, bounds));
  const perLanguage = languageFigures(events, moments, targets, sentAtMs);
  const lastWord = fromLastWord({ events, languages: targets, bounds, sentAtMs });
  return {
    type: 'summary',
    transcript,
    latencyMs: {
      partial: percentiles(stages.partial),
      final: percentiles(stages.final),
      translation: percentiles(stages.translation),
      draft: percentiles(stages.draft),
      audio: percentiles(stages.audio),
    },
    lagMs: perLanguage.lagMs,
    voiceDriftMs: perLanguage.voiceDriftMs,
    speechMoments: moments.length,
    unshownMoments: perLanguage.unshownMoments,
    unvoicedMoments: perLanguage.unvoicedMoments,
    erasure: perLanguage.erasure,
    fromLastWordMs: {
      final: meanPercentiles(lastWord.final),
      translation: meanPercentiles(lastWord.translation),
      firstVoice: meanPercentiles(lastWord.firstVoice),
      speechEnd: 'energy',
    },
    audioMs,
    samples: {
      ...stages,
      lag: perLanguage.lag,
      moments,
      fromLastWord: lastWord,
      erasure: perLanguage.erasures,
    },
  };
}

/** Each stage's latency samples, ms from the end of the event's media span to its arrival. */
function stageLatencies(
  events: readonly ReplayEvent[],
  sentAtMs: (ms: number) => number,
): Record<LatencyStage, number[]> {
  const stages: Record<LatencyStage, number[]> = {
    partial: [],
    final: [],
    translation: [],
    draft: [],
    audio: [],
  };
  const wordsSeen = new Map<number, number>();
  const firstAudio = new Set<string>();
  for (const e of events) {
    switch (e.type) {
      case 'partial': {
        // A partial counts when it shows a word not shown before in this segment.
        const words = (e.text ?? '').trim().split(/\s+/).filter(Boolean).length;
        if (words > (wordsSeen.get(e.segment) ?? 0)) {
          wordsSeen.set(e.segment, words);
          stages.partial.push(e.receivedMs - sentAtMs(e.mediaEndMs));
        }
        break;
      }
      case 'final':
      case 'translation':
        stages[e.type].push(e.receivedMs - sentAtMs(e.mediaEndMs));
        break;
      case 'draft':
        if (e.text?.trim()) stages.draft.push(e.receivedMs - sentAtMs(e.mediaEndMs));
        break;
      case 'audio': {
        // First packet of each voice chunk (in sentence mode, of each segment), from its span's end.
        const key = `${e.lang}:${e.segment}:${e.mediaStartMs}:${e.mediaEndMs}`;
        if (firstAudio.has(key)) break;
        firstAudio.add(key);
        stages.audio.push(e.receivedMs - sentAtMs(e.mediaEndMs));
        break;
      }
    }
  }
  return stages;
}

/** The source transcript (every final), each target's (every translation) and its audio received. */
function transcripts(events: readonly ReplayEvent[], source: string, targets: readonly string[]) {
  const transcript: Record<string, string> = {};
  transcript[source] = events
    .filter((e) => e.type === 'final')
    .map((e) => e.text)
    .join(' ');
  const audioMs: Record<string, number> = {};
  for (const lang of targets) {
    transcript[lang] = events
      .filter((e) => e.type === 'translation' && e.lang === lang)
      .map((e) => e.text)
      .join(' ');
    audioMs[lang] = events
      .filter((e) => e.type === 'audio' && e.lang === lang)
      .reduce((n, e) => n + (e.durationMs ?? 0), 0);
  }
  return { transcript, audioMs };
}

/** Per target language: lag, drift, moments never shown or voiced, and erasure. */
function languageFigures(
  events: readonly ReplayEvent[],
  moments: readonly Moment[],
  targets: readonly string[],
  sentAtMs: (ms: number) => number,
) {
  const lagMs: Record<string, LanguageLagSummary> = {};
  const voiceDriftMs: Record<string, number | null> = {};
  const unshownMoments: Record<string, number> = {};
  const unvoicedMoments: Record<string, number> = {};
  const erasure: Record<string, number | null> = {};
  const lag: ReplaySamples['lag'] = {};
  const erasures: Record<string, Erasure> = {};
  for (const lang of targets) {
    const l = languageLag({ moments, events, lang, sentAtMs });
    lagMs[lang] = { text: l.text, voice: l.voice };
    voiceDriftMs[lang] = l.voiceDriftMs;
    unshownMoments[lang] = l.unshownMoments;
    unvoicedMoments[lang] = l.unvoicedMoments;
    lag[lang] = { text: l.textSamples, voice: l.voiceSamples };
    erasures[lang] = normalizedErasure(events, lang);
    erasure[lang] = erasures[lang].erasure;
  }
  return { lagMs, voiceDriftMs, unshownMoments, unvoicedMoments, erasure, lag, erasures };
}
