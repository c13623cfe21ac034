/**
 * apy starts one pipeline of processes (lt-proc, apertium-transfer, …) per language pair. They
 * are not killed when apy dies, so apy runs as the leader of its own process group and the group
 * is what we stop, measure and check for leftovers. Linux-only (/proc).
 */
import { readdirSync, readFileSync } from 'node:fs';

export function processGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …; comm may contain spaces or parentheses.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
    } catch {
      // The process exited while we were looking.
    }
  }
  return members;
}

export interface GroupMemory {
  /** Sum of resident set sizes: counts shared libraries and files once per process. */
  rssBytes: number;
  /** Sum of proportional set sizes: shared pages split between their users, the honest total. */
  pssBytes: number;
}

/** Memory of every process in the group. */
export function processGroupMemory(pgid: number): GroupMemory {
  const total = { rssBytes: 0, pssBytes: 0 };
  for (const pid of processGroupMembers(pgid)) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      total.rssBytes += kib(rollup, 'Rss') * 1024;
      total.pssBytes += kib(rollup, 'Pss') * 1024;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

function kib(rollup: string, field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
}

/**
 * Signal a whole group. Never throws: a group that is already gone (ESRCH) is the usual case, and
 * this runs from exit handlers and timers where an exception would crash the server.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
