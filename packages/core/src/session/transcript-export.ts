/** Transcript export in the formats operators asked for: SRT, WebVTT, plain text and JSON. */
import type { TranscriptFormat, TranscriptSegment } from '@babelcast/protocol';

function clock(ms: number, separator: ',' | '.'): string {
  const t = Math.max(0, Math.round(ms));
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const s = Math.floor((t % 60_000) / 1000);
  const frac = t % 1000;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(h)}:${p(m)}:${p(s)}${separator}${p(frac, 3)}`;
}

/** A cue must last long enough to read even when the sentence was short. */
function cueEnd(seg: TranscriptSegment): number {
  return Math.max(seg.mediaEndMs, seg.mediaStartMs + 1000);
}

export function toSrt(segments: readonly TranscriptSegment[]): string {
  return segments
    .map((s, i) => `${i + 1}\n${clock(s.mediaStartMs, ',')} --> ${clock(cueEnd(s), ',')}\n${s.text}\n`)
    .join('\n');
}

export function toVtt(segments: readonly TranscriptSegment[]): string {
  const cues = segments.map(
    (s) => `${s.segmentId}\n${clock(s.mediaStartMs, '.')} --> ${clock(cueEnd(s), '.')}\n${s.text}\n`,
  );
  return ['WEBVTT', '', ...cues].join('\n');
}

export function toTxt(segments: readonly TranscriptSegment[]): string {
  return segments.map((s) => s.text).join('\n') + (segments.length ? '\n' : '');
}

export const TRANSCRIPT_CONTENT_TYPE: Record<TranscriptFormat, string> = {
  srt: 'application/x-subrip; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

export function exportTranscript(segments: readonly TranscriptSegment[], format: TranscriptFormat): string {
  switch (format) {
    case 'srt':
      return toSrt(segments);
    case 'vtt':
      return toVtt(segments);
    case 'txt':
      return toTxt(segments);
    case 'json':
      return JSON.stringify(
        segments.map(({ segmentId, seq, lang, kind, text, mediaStartMs, mediaEndMs }) => ({
          segmentId,
          seq,
          lang,
          kind,
          text,
          mediaStartMs,
          mediaEndMs,
        })),
      );
  }
}
