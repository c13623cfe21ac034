/** "Tap to listen" (unlocks audio, which browsers allow only after a gesture) and Mute. */
import { h } from '../shared/dom.ts';
import type { Dictionary } from '../shared/i18n.ts';
import type { AudioPlayer } from './audio-player.ts';
import type { ListenerController } from './controller.ts';

export interface ListenControls {
  readonly elements: HTMLElement[];
  setLabels(t: Dictionary): void;
}

export function listenControls(controller: ListenerController, player: AudioPlayer): ListenControls {
  let muted = false;
  let t = controller.t;
  const listen = h('button', { type: 'button', className: 'primary listen', id: 'listen' });
  const mute = h('button', { type: 'button', id: 'mute', 'aria-pressed': 'false', hidden: true });
  const keepAwake = screenKeeper(player);
  listen.addEventListener('click', async () => {
    keepAwake();
    try {
      await player.unlock();
      listen.hidden = true;
      mute.hidden = false;
      mute.focus();
    } catch {
      controller.say('audioUnavailable');
    }
  });
  mute.addEventListener('click', () => {
    muted = !muted;
    player.setMuted(muted);
    mute.setAttribute('aria-pressed', String(muted));
    mute.textContent = muted ? t.unmute : t.mute;
  });
  if (typeof AudioContext === 'undefined') {
    listen.disabled = true;
    controller.say('audioUnavailable');
  }
  return {
    elements: [listen, mute],
    setLabels(dict) {
      t = dict;
      listen.textContent = t.listen;
      mute.textContent = muted ? t.unmute : t.mute;
    },
  };
}

/**
 * Phones dim and lock while the listener only reads; keep the screen on once they chose to
 * listen (and again when they come back to the tab, which releases the lock).
 */
function screenKeeper(player: AudioPlayer): () => void {
  let wakeLock: WakeLockSentinel | null = null;
  const keepAwake = () => {
    if (!('wakeLock' in navigator) || document.visibilityState !== 'visible') return;
    navigator.wakeLock
      .request('screen')
      .then((lock) => {
        wakeLock = lock;
      })
      .catch(() => {});
  };
  document.addEventListener('visibilitychange', () => {
    if (player.unlocked && (!wakeLock || wakeLock.released)) keepAwake();
  });
  return keepAwake;
}
