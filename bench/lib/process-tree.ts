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

/** utime+stime of one /proc stat file (a process or one of its threads), in seconds; 0 once gone. */
function ownSeconds(statPath: string): number {
  try {
    const f = readFileSync(statPath, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return 0;
  }
}

/**
 * Where a process tree's CPU went so far: each thread of the process (by thread id; the main
 * thread's id is the pid), its children that already exited and were waited for (cutime+cstime:
 * programs run per request, such as a voice per sentence), and its live descendants (with their
 * own exited children). Linux only.
 */
export interface TreeCpu {
  threads: Record<number, number>;
  exitedChildren: number;
  liveDescendants: number;
}

export function treeCpu(pid: number): TreeCpu {
  const threads: Record<number, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    threads[Number(tid)] = ownSeconds(`/proc/${pid}/task/${tid}/stat`);
  }
  let exitedChildren = 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    exitedChildren = (Number(f[13]) + Number(f[14])) / TICK;
  } catch {
    // gone
  }
  return { threads, exitedChildren, liveDescendants: cpuSeconds(tree(pid).slice(1)) };
}

/**
 * The CPU a tree used between two samples, in % of one core: the main thread, the other threads
 * busiest first (threads that started in between count from zero), exited children, live
 * descendants. A descendant that exits in between moves from live to exited (its parent waits for
 * it), so its share before the exit is counted under neither; per-sentence programs are short.
 */
export function treeCpuPercent(pid: number, a: TreeCpu, b: TreeCpu, seconds: number) {
  const pct = (s: number) => Math.round((s / Math.max(0.001, seconds)) * 1000) / 10;
  const others = Object.entries(b.threads)
    .filter(([tid]) => Number(tid) !== pid)
    .map(([tid, s]) => s - (a.threads[Number(tid)] ?? 0))
    .sort((x, y) => y - x);
  return {
    mainThread: pct((b.threads[pid] ?? 0) - (a.threads[pid] ?? 0)),
    otherThreads: others.map(pct).filter((p) => p > 0),
    exitedChildren: pct(b.exitedChildren - a.exitedChildren),
    liveDescendants: pct(b.liveDescendants - a.liveDescendants),
  };
}
