/**
 * The throughput part says where each step's CPU went: per thread of the server (the main
 * thread apart), its child processes running and exited, and the report shows it (older runs,
 * without the split, render as before: see report-golden.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { treeCpu, treeCpuPercent } from '../lib/process-tree.ts';
import { renderMarkdown } from '../report.ts';
import { quickRun } from './results-fixture.ts';

describe('throughput CPU split', () => {
  it('splits a tree by thread, exited children and running descendants, in % of a core', () => {
    const a = { threads: { 10: 1, 11: 2, 12: 0.5 }, exitedChildren: 3, liveDescendants: 4 };
    // Thread 13 started in between; thread 12 ended (its time stays in the process, not here).
    const b = { threads: { 10: 3, 11: 2.5, 13: 1 }, exitedChildren: 4, liveDescendants: 4.2 };
    expect(treeCpuPercent(10, a, b, 10)).toEqual({
      mainThread: 20,
      otherThreads: [10, 5],
      exitedChildren: 10,
      liveDescendants: 2,
    });
  });

  it('reads this process from /proc, the main thread by its pid', () => {
    const sample = treeCpu(process.pid);
    expect(sample.threads[process.pid]).toBeGreaterThan(0);
    expect(sample.exitedChildren).toBeGreaterThanOrEqual(0);
  });

  it('renders the split, the settings and the server activity', () => {
    const latency = { n: 1, p50: 1, p95: 2 };
    const md = renderMarkdown(
      quickRun({
        throughput: {
          asr: { engine: 'fake', vad: 'energy', rtf: 0.1, audioSeconds: 10 },
          clip: 'a.wav',
          listen: ['es'],
          config: { pipeline: { mode: 'sentence' } },
          engines: {},
          sustainedSessions: 1,
          steps: [
            {
              sessions: 1,
              latencyMs: { final: latency, translation: latency, audio: latency },
              worstSessionFinalP95: 2,
              finalP95LimitMs: 1002,
              serverCpuPct: 30,
              serverRssPeakMb: 100,
              held: true,
              cpuSplitPct: {
                serverMainThread: 12.5,
                serverOtherThreads: [15, 1],
                serverOtherThreadsTotal: 16,
                childrenRunning: 7,
                childrenExited: 3,
                replayClients: 4,
              },
              activity: {
                eventLoopDelayMs: { p50: 10.1, p99: 30, max: 80 },
                eventLoopUtilization: 0.2,
                mt: { calls: 90, meanMs: 40, maxInFlight: 2 },
                published: { drafts: 50, translations: 20, audio: 300 },
              },
            },
          ],
        },
      }),
      'chart.svg',
    );
    expect(md).toContain('settings {"pipeline":{"mode":"sentence"}}');
    expect(md).toContain(
      '| 1 | 12.5 | 16 (15, 1) | 7 | 3 | 4 | 10.1 / 30 / 80, 0.2 | 90 (40, 2) | 50 / 20 / 300 |',
    );
  });
});
