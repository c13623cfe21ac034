/**
 * The benchmark's honesty (issue 10): its chart is well-formed XML (a repeated attribute once made
 * Chromium render it blank), and a step that fails is reported as failed, never left out.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type FanoutStep, runFanout } from '../parts/fanout.ts';
import { xmlProblems } from '../lib/xml-check.ts';
import { renderChart, renderMarkdown } from '../report.ts';
import { quickRun } from './results-fixture.ts';

const lag = (mean: number, p95: number) => ({ n: 100, mean, p50: mean, p95 });
const mode = (text: number, voice: number) => ({
  clipsRun: 1,
  clipsFailed: 0,
  speechSeconds: 70,
  speechMoments: 600,
  lagMs: { all: { text: lag(text, 2 * text), voice: lag(voice, 2 * voice) } },
  unshownMoments: { es: 0 },
  unvoicedMoments: { es: 3 },
  voiceDriftMs: { perTalk: [], mean: 120, worst: 300 },
  erasure: { all: 0.1, es: 0.1 },
  fromLastWordMs: { final: lag(700, 900), translation: lag(800, 1000), firstVoice: lag(850, 1100) },
  latencyMs: { final: { n: 3, p50: 300, p95: 500 } },
  cpuPerSession: {
    serverCpuSecondsPerSpeechSecond: 0.2,
    treeCpuSecondsPerSpeechSecond: 0.25,
    targetLanguages: 2,
  },
});
const delay = (p50: number) => ({ n: 10, p50, p95: 2 * p50, p99: 3 * p50, max: 4 * p50, mean: p50 });

const results = quickRun(
  {
    latency: {
      definitions: { instant: 'From the send time.', moments: 'Every 100 ms.' },
      data: {
        clips: ['long-en-01.wav'],
        sharedData: '/data',
        warmUpClip: 'ljspeech-02.wav',
        listen: ['es'],
        speed: 1,
      },
      engines: { asr: 'fake' },
      listen: ['es'],
      modes: {
        sentence: mode(5000, 8000),
        simultaneous: { error: 'server start: invalid configuration <&>' },
      },
      clips: { sentence: [{ file: 'long-en-01.wav', error: 'timed out' }] },
      comparison: { available: false, why: 'needs both modes to have run' },
      failed: [{ mode: 'simultaneous', step: 'server start', error: 'invalid configuration <&>' }],
    },
    fanout: {
      engines: {},
      limits: { captionP99Ms: 1000, audioDroppedPct: 1, connectFailedPct: 1 },
      steps: [
        {
          listeners: 100,
          connectFailed: 0,
          captionDelayMs: delay(2),
          audioDelayMs: delay(3),
          audioDropped: 0,
          audioDroppedPct: 0,
          captionsLost: 0,
          serverCpuPct: 2,
          serverRssPeakMb: 140,
          listenerProcessCpuPct: [1, 1],
          held: true,
          why: '',
        },
        { listeners: 1000, failed: true, error: 'listener process exited (1)', held: false, why: 'failed' },
      ],
    },
  },
  [{ part: 'fanout', step: '1000 listeners', error: 'listener process exited (1)' }],
);

describe('xml well-formedness check', () => {
  it('accepts a well-formed document and finds what browsers reject', () => {
    expect(xmlProblems('<svg a="1"><g><text b=\'2\'>x &amp; y &#233;</text></g><rect/></svg>\n')).toEqual([]);
    expect(xmlProblems('<svg><text font-size="12" font-size="10">x</text></svg>')).toEqual([
      'line 1: <text>: attribute font-size redefined',
    ]);
    expect(xmlProblems('<svg><g></svg>')).toHaveLength(2);
    expect(xmlProblems('<svg>a & b</svg>')).toEqual(['line 1: "&" that is not an entity in text']);
    expect(xmlProblems('<svg x=1></svg>')).toHaveLength(1);
    expect(xmlProblems('<svg/><svg/>')).toEqual(['line 1: a second root element <svg>']);
  });

  it('catches the bug of the charts the bench used to write', () => {
    const old = readFileSync(new URL('../results/bench-2026-11-25-14-02-full.svg', import.meta.url), 'utf8');
    expect(xmlProblems(old).some((p) => p.includes('attribute font-size redefined'))).toBe(true);
  });
});

describe('bench report', () => {
  it('draws a well-formed chart, with failures shown as failed', () => {
    const svg = renderChart(results);
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).toContain('failed');
    expect(svg).toContain('the 1000-listener step failed');
    expect(svg).not.toContain('NaN');
  });

  it('draws a well-formed chart with nothing run, and with every mode run', () => {
    expect(xmlProblems(renderChart({ ...results, parts: {} }))).toEqual([]);
    const both = {
      ...results,
      parts: {
        latency: {
          ...results.parts.latency,
          modes: { sentence: mode(5000, 8000), simultaneous: mode(1500, 2500) },
        },
      },
    };
    const svg = renderChart(both);
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).toContain('1500/3000');
  });

  it('says in the Markdown which steps failed and why', () => {
    const md = renderMarkdown(results, 'chart.svg');
    expect(md).toContain('**Failed steps**');
    expect(md).toContain('The 1000-listener step failed** (listener process exited (1))');
    expect(md).toContain('failed: server start: invalid configuration');
    expect(md).toContain('| sentence | long-en-01.wav | | failed: timed out |');
  });
});

describe('fan-out ramp', () => {
  const held = (n: number): FanoutStep => ({
    ...(results.parts.fanout.steps[0] as unknown as FanoutStep),
    listeners: n,
  });

  it('reports a step that throws as failed and stops there, instead of dropping it', async () => {
    const r = await runFanout({
      steps: [100, 1000, 5000],
      clip: 'unused.wav',
      processes: 2,
      log: () => {},
      runStep: async (n) => {
        if (n === 1000) throw new Error('listener process exited (1)');
        return { result: held(n), engines: { asr: 'fake' } };
      },
    });
    expect(r.steps.map((s) => [s.listeners, 'failed' in s])).toEqual([
      [100, false],
      [1000, true],
    ]);
    expect(r.steps[1]).toMatchObject({ held: false, error: 'listener process exited (1)' });
    expect(r.failed).toEqual([{ step: '1000 listeners', error: 'listener process exited (1)' }]);
  });
});
