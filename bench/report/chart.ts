/**
 * A hand-written SVG chart in two panels: lag behind the speaker (text and voice, mean and p95)
 * per pipeline mode, and fan-out delay p50/p95/p99 against listeners (log scales). Valid XML:
 * checked by a test.
 */
import type { Results } from '../lib/results.ts';

const W = 900;
const H = 360;
/** The baseline of both panels, and their plot height. */
const Y0 = 320;
const PLOT_HEIGHT = 240;

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const round2 = (x: number) => Math.round(x * 100) / 100;

/** One <text>; each attribute once (a repeated one makes the SVG invalid XML, which renders blank). */
function svgText(
  x: number,
  y: number,
  s: string,
  style: { size?: number; weight?: 'bold'; fill?: string; anchor?: 'middle' | 'end' } = {},
): string {
  const attrs = [
    `x="${round2(x)}"`,
    `y="${round2(y)}"`,
    'font-family="sans-serif"',
    `font-size="${style.size ?? 12}"`,
    ...(style.weight ? [`font-weight="${style.weight}"`] : []),
    ...(style.fill ? [`fill="${style.fill}"`] : []),
    ...(style.anchor ? [`text-anchor="${style.anchor}"`] : []),
  ];
  return `<text ${attrs.join(' ')}>${escapeXml(s)}</text>`;
}

export function renderChart(r: Results): string {
  const m = r.machine;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    svgText(
      20,
      20,
      `Babelcast bench (${r.quick ? 'quick' : 'full'}) — ${m.cores} cores, Node ${m.node}, ${m.date.slice(0, 10)}`,
      { weight: 'bold' },
    ),
    ...lagPanel(r.parts.latency),
    ...fanoutPanel(r.parts.fanout),
    '</svg>',
  ];
  return `${parts.join('\n')}\n`;
}

type Bar = { label: string; mean: number | null; p95: number | null; failed?: string };

/** Panel 1: lag behind the speaker, text and voice, per mode. */
function lagPanel(latency: Results | undefined): string[] {
  const x0 = 60;
  const parts = [svgText(x0, 50, 'Behind the speaker, ms: mean (dark) and p95 (light)')];
  const modes = Object.entries((latency?.modes ?? {}) as Record<string, Results>);
  const bars: Bar[] = [];
  for (const [mode, v] of modes)
    for (const kind of ['text', 'voice'] as const)
      bars.push(
        v.error
          ? { label: `${kind} ${mode}`, mean: null, p95: null, failed: String(v.error) }
          : { label: `${kind} ${mode}`, mean: v.lagMs.all[kind].mean, p95: v.lagMs.all[kind].p95 },
      );
  if (bars.length) {
    const max = Math.max(1, ...bars.map((b) => b.p95 ?? 0));
    const bw = 360 / bars.length;
    bars.forEach((b, i) => {
      parts.push(...lagBar(b, x0 + i * bw + 6, bw, max));
    });
  } else parts.push(svgText(x0, 150, 'latency part not run'));
  parts.push(`<line x1="${x0}" y1="${Y0}" x2="${x0 + 360}" y2="${Y0}" stroke="black"/>`);
  return parts;
}

/** One bar: p95 (light) behind the mean (dark), labelled with both, or "failed". */
function lagBar(b: Bar, x: number, bw: number, max: number): string[] {
  const parts: string[] = [];
  if (b.failed) {
    parts.push(svgText(x, Y0 - 10, 'failed', { size: 10, fill: '#d62728' }));
  } else {
    // A negative lag (content shown before it was said) would be a negative height: drawn as 0.
    const h95 = (Math.max(0, b.p95 ?? 0) / max) * PLOT_HEIGHT;
    const hMean = (Math.max(0, b.mean ?? 0) / max) * PLOT_HEIGHT;
    parts.push(
      `<rect x="${round2(x)}" y="${round2(Y0 - h95)}" width="${round2(bw - 12)}" height="${round2(h95)}" fill="#9ecae1"/>`,
      `<rect x="${round2(x + 5)}" y="${round2(Y0 - hMean)}" width="${round2(bw - 22)}" height="${round2(hMean)}" fill="#08519c"/>`,
      svgText(x, Y0 - h95 - 4, `${Math.round(b.mean ?? 0)}/${Math.round(b.p95 ?? 0)}`, { size: 10 }),
    );
  }
  const [kind, mode] = b.label.split(' ');
  parts.push(svgText(x, Y0 + 14, kind!, { size: 10 }), svgText(x, Y0 + 26, mode!, { size: 10 }));
  return parts;
}

type FanoutStep = {
  listeners: number;
  failed?: boolean;
  captionDelayMs: Record<string, number | null>;
  audioDelayMs: Record<string, number | null>;
};

const PX = 500;
const PW = 360;

/** Panel 2: fan-out delay against listeners. */
function fanoutPanel(fanout: Results | undefined): string[] {
  const allSteps = (fanout?.steps ?? []) as FanoutStep[];
  const steps = allSteps.filter((s) => !s.failed);
  const parts = [svgText(PX, 50, 'Fan-out delay, ms (log scales): captions solid, audio dashed')];
  const failedStep = allSteps.find((s) => s.failed);
  if (failedStep)
    parts.push(svgText(PX, 66, `the ${failedStep.listeners}-listener step failed`, { fill: '#d62728' }));
  const delays = steps
    .flatMap((s) => [s.captionDelayMs.p99, s.audioDelayMs.p99, s.captionDelayMs.p50])
    .filter((v): v is number => typeof v === 'number' && v > 0);
  if (steps.length && delays.length) parts.push(...fanoutCurves(steps, delays));
  else parts.push(svgText(PX, 150, 'fan-out part not run'));
  parts.push(`<line x1="${PX}" y1="${Y0}" x2="${PX + PW}" y2="${Y0}" stroke="black"/>`);
  return parts;
}

/** p50/p95/p99 lines (captions solid, audio dashed) on log scales, with their axis labels. */
function fanoutCurves(steps: FanoutStep[], delays: number[]): string[] {
  const parts: string[] = [];
  const xs = steps.map((s) => Math.log10(s.listeners));
  const xmin = Math.min(...xs) - 0.1;
  const xmax = Math.max(...xs) + 0.1;
  const ymin = Math.log10(Math.max(0.1, Math.min(...delays) / 2));
  const ymax = Math.log10(Math.max(...delays) * 2);
  const X = (n: number) => PX + ((Math.log10(n) - xmin) / (xmax - xmin)) * PW;
  const Y = (v: number) => Y0 - ((Math.log10(Math.max(0.1, v)) - ymin) / (ymax - ymin)) * PLOT_HEIGHT;
  const colours = { p50: '#2ca02c', p95: '#ff7f0e', p99: '#d62728' } as const;
  for (const [q, colour] of Object.entries(colours)) {
    for (const kind of ['captionDelayMs', 'audioDelayMs'] as const) {
      const pts = steps
        .filter((s) => s[kind][q] !== null)
        .map((s) => `${round2(X(s.listeners))},${round2(Y(s[kind][q]!))}`);
      const dashed = kind === 'audioDelayMs' ? ' stroke-dasharray="5,4"' : '';
      parts.push(
        `<polyline points="${pts.join(' ')}" fill="none" stroke="${colour}" stroke-width="2"${dashed}/>`,
      );
      // Points too, so a ramp that stopped after one step still shows.
      for (const pt of pts) {
        const [cx, cy] = pt.split(',');
        parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${colour}"/>`);
      }
    }
    parts.push(svgText(PX + PW - 40, 70 + Object.keys(colours).indexOf(q) * 14, q, { fill: colour }));
  }
  for (const s of steps) parts.push(svgText(X(s.listeners) - 12, Y0 + 15, String(s.listeners), { size: 10 }));
  for (const v of [1, 10, 100, 1000, 10000]) {
    const y = Y(v);
    if (y > 55 && y <= Y0)
      parts.push(
        svgText(PX - 40, y + 4, `${v}`, { size: 10 }),
        `<line x1="${PX}" y1="${round2(y)}" x2="${PX + PW}" y2="${round2(y)}" stroke="#eee"/>`,
      );
  }
  return parts;
}
