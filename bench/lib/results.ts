/**
 * What a benchmark run writes (bench/results/bench-*.json) and the machine stamp it carries. Kept
 * apart from run.ts so the report (report.ts) and the runner do not import each other.
 */
import { cpus, loadavg, totalmem } from 'node:os';

export function machine() {
  const cpu = cpus();
  return {
    cores: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1e8) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    /** 1-minute load average when the run started: other work on the machine distorts the figures. */
    loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
    note: 'shared machine: other work may have been running; figures are noisy',
  };
}

export type Machine = ReturnType<typeof machine>;

// biome-ignore lint/suspicious/noExplicitAny: parts return heterogeneous JSON for the report
export type Results = Record<string, any>;
