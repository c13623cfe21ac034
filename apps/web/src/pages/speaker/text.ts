/** What the speaker page says: language names, lags and errors (DOM-free, unit-tested). */
import { LANGUAGES, type LanguagesResponse, type SessionState } from '@babelcast/protocol';
import { ApiError } from '../shared/api.ts';
import type { Dictionary } from '../shared/i18n.ts';
import type { InputWarning } from '../shared/input-stats.ts';
import { refusalForHttp } from '../shared/refusals.ts';

export function languageName(code: string, names?: LanguagesResponse['names']): string {
  const known = names?.[code] ?? (LANGUAGES as Record<string, { name: string; native: string }>)[code];
  if (!known) return code;
  return known.native === known.name ? known.name : `${known.native} (${known.name})`;
}

/** An error as the speaker should read it; `labels` holds the refusal messages. */
export function errorText(err: unknown, labels: Dictionary): string {
  if (err instanceof ApiError) {
    const refusal = refusalForHttp(err.status, err.code);
    return refusal?.message ? labels[refusal.message] : err.message;
  }
  if (err instanceof DOMException && err.name === 'NotAllowedError') {
    return 'Microphone permission was refused. Allow it in the browser (the icon in the address bar) and try again.';
  }
  if (err instanceof DOMException && err.name === 'NotFoundError') return 'No microphone was found.';
  return err instanceof Error ? err.message : String(err);
}

export function formatLag(ms: number | undefined): string {
  return ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`;
}

export const STATE_LABEL: Record<SessionState, string> = {
  created: 'Ready',
  live: 'Live',
  paused: 'Paused',
  ended: 'Ended',
};

export const WARNING_TEXT: Record<InputWarning, string> = {
  clipping: 'Too loud: the input is clipping. Move the microphone away or lower its gain.',
  tooQuiet: 'Too quiet: move closer to the microphone or raise its gain.',
  noisy: 'Noisy: background noise is close to your voice level; recognition will suffer.',
};
