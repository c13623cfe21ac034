/**
 * The report of a benchmark run: Markdown (one section per part, in report/) and a hand-written
 * SVG chart (report/chart.ts: latency per mode, fan-out delay per number of listeners).
 */
import type { Results } from './lib/results.ts';
import { clusterSection } from './report/cluster-section.ts';
import { latencySection } from './report/latency-section.ts';
import {
  accuracySection,
  enginesSection,
  fanoutSection,
  soakSection,
  throughputSection,
} from './report/parts-sections.ts';

export { renderChart } from './report/chart.ts';

export function renderMarkdown(r: Results, chartFile: string): string {
  const p = r.parts;
  const out = [
    ...header(r, chartFile),
    ...failedSteps(r.failedSteps),
    ...(p.latency ? latencySection(p.latency) : []),
    ...(p.accuracy ? accuracySection(p.accuracy) : []),
    ...(p.throughput ? throughputSection(p.throughput) : []),
    ...(p.fanout ? fanoutSection(p.fanout) : []),
    ...(p.soak ? soakSection(p.soak) : []),
    ...(p.cluster ? clusterSection(p.cluster) : []),
    ...(p.engines ? enginesSection(p.engines, r.quick) : []),
  ];
  return `${out.join('\n')}\n`;
}

/** Title, machine, engines asked for (and any substituted), and the chart. */
function header(r: Results, chartFile: string): string[] {
  const m = r.machine;
  return [
    `# Babelcast benchmark (${r.quick ? 'quick' : 'full'} run)`,
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGb} GB RAM, Node ${m.node}, ${m.platform}, ${m.date}.`,
    `${m.note}. Total time ${r.totalSeconds} s. Engines requested: \`${JSON.stringify(r.engines)}\`.`,
    ...(r.substituted?.length ? ['', `**Substituted:** ${r.substituted.join('; ')}.`] : []),
    '',
    `![latency and fan-out](${chartFile})`,
    '',
  ];
}

/** Every failed step up front: their figures are missing below. */
function failedSteps(failed: Array<Record<string, unknown>> | undefined): string[] {
  if (!failed?.length) return [];
  return [
    '**Failed steps** (their figures are missing below):',
    '',
    ...failed.map(({ part, error, ...where }) => `- ${part} ${JSON.stringify(where)}: ${error}`),
    '',
  ];
}
