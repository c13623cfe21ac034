/** The join panel: the link and QR code for the audience, sized for a projector. */
import QRCode from 'qrcode';
import { h } from '../shared/dom.ts';

/** A join link on localhost only opens on this computer: phones in the room cannot reach it. */
function isLocalOnly(joinUrl: string, base: string): boolean {
  const host = new URL(joinUrl, base).hostname;
  return host === 'localhost' || host.startsWith('127.') || host === '[::1]';
}

export function joinPanel(joinUrl: string): HTMLElement {
  const link = h('a', { href: joinUrl, className: 'join-url', id: 'join-url' }, joinUrl);
  const qr = h('div', { className: 'qr', role: 'img', 'aria-label': `QR code for ${joinUrl}` });
  QRCode.toString(joinUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }).then((svg) => {
    qr.innerHTML = svg;
    qr.querySelector('svg')?.setAttribute('aria-hidden', 'true');
  });
  const localWarning = isLocalOnly(joinUrl, location.href)
    ? h(
        'p',
        { className: 'error', id: 'local-join-url' },
        'This link only works on this computer. So that phones can open it, start Babelcast with ',
        h('code', {}, 'BABELCAST_PUBLIC_URL=http://<this computer’s LAN address>:8080'),
        '.',
      )
    : null;
  const copy = h('button', { type: 'button' }, 'Copy link');
  copy.addEventListener('click', async () => {
    await navigator.clipboard?.writeText(joinUrl).catch(() => {});
    copy.textContent = 'Copied';
    setTimeout(() => {
      copy.textContent = 'Copy link';
    }, 1500);
  });
  return h(
    'section',
    { className: 'card join', 'aria-labelledby': 'join-heading' },
    h('h2', { id: 'join-heading' }, 'Join'),
    h('p', {}, 'Listeners open this link or scan the code. No account needed.'),
    link,
    localWarning,
    qr,
    copy,
  );
}
