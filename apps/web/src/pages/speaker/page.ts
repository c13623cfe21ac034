/** What every view of the speaker page shares: the page's root, its banner and its labels. */
import { h } from '../shared/dom.ts';
import { dictionaryFor } from '../shared/i18n.ts';
import { microphoneUnavailableReason } from './microphone.ts';

export const TOKEN_KEY = 'babelcast.token';
/** The refusal messages, in the page's language (the speaker page's own text is English). */
export const labels = dictionaryFor(document.documentElement.lang || 'en').t;
/** Said on every view, before the speaker types a token only to find the microphone blocked. */
export const microphoneProblem = microphoneUnavailableReason();

/** Replace the page's content with a view; its h1 names the tab. */
export function show(...children: Node[]): void {
  const app = document.getElementById('app')!;
  const banner = microphoneProblem
    ? h('p', { className: 'error banner', id: 'insecure' }, microphoneProblem)
    : null;
  app.replaceChildren(...(banner ? [banner] : []), ...children);
  const heading = app.querySelector('h1');
  if (heading) document.title = `Babelcast · ${heading.textContent}`;
}
