/**
 * The report's format does not drift: the committed reports of the latest latency, fan-out and
 * cluster runs re-render byte for byte from their JSON, and the sections no recent run wrote
 * (accuracy, throughput, soak, engines on their own) match their snapshot. A change of format
 * shows here first; a deliberate one updates the snapshot (vitest -u) in the same commit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Results } from '../lib/results.ts';
import { renderChart, renderMarkdown } from '../report.ts';

const results = (name: string) => new URL(`../results/${name}`, import.meta.url);
const committed = (name: string) => readFileSync(results(name), 'utf8');
const run = (name: string): Results => JSON.parse(committed(`${name}.json`));

describe('bench report format', () => {
  for (const name of [
    'bench-2026-11-30-13-39-full-latency',
    'bench-2026-11-30-13-24-full-fanout',
    'bench-2026-11-30-14-02-full-cluster',
  ]) {
    it(`re-renders ${name} as committed`, () => {
      expect(renderMarkdown(run(name), `${name}.svg`)).toBe(committed(`${name}.md`));
      expect(renderChart(run(name))).toBe(committed(`${name}.svg`));
    });
  }

  it('renders accuracy, throughput, fan-out, soak and the engines as before', async () => {
    // An all-parts quick run; its latency part predates the two-mode format, so it is left out.
    const r = run('bench-2026-11-25-13-05-quick');
    delete r.parts.latency;
    await expect(renderMarkdown(r, 'chart.svg')).toMatchFileSnapshot('./__snapshots__/all-parts-quick.md');
    await expect(renderChart(r)).toMatchFileSnapshot('./__snapshots__/all-parts-quick.svg.txt');
  });
});
