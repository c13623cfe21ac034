/**
 * CPU and memory of a process and everything it started, from /proc (Linux only): a server's own
 * `process.cpuUsage()` misses the work done in its child processes (apertium-apy and its
 * pipelines, espeak-ng/flite). CPU is utime+stime of every live process in the tree plus
 * cutime+cstime, the children that already exited and were waited for. Memory is PSS summed over
 * the tree (shared pages counted once, fairly split).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const TICK = 100; // USER_HZ on Linux

export const procAvailable = () => existsSync('/proc/self/stat');

function children(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** The process and all its descendants. */
export function tree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i]!));
  return all;
}

/** CPU seconds used so far by these processes and their waited-for children. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      // fields after "pid (comm) ": state=0 … utime=11 stime=12 cutime=13 cstime=14
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // gone
    }
  }
  return ticks / TICK;
}

/** CPU seconds of a process tree, or null where /proc is not available. */
export function treeCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined || !procAvailable()) return null;
  return cpuSeconds(tree(pid));
}

export function pssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m);
      kb += Number(m?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return Math.round(kb / 1024);
}

export function rssMb(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}
