/**
 * apy starts one pipeline of processes (lt-proc, apertium-transfer, …) per language pair. They
 * are not killed when apy dies, so apy runs as the leader of its own process group and the group
 * is what we stop, measure and check for leftovers. Linux-only (/proc).
 */
import { readdirSync, readFileSync } from 'node:fs';

const PAGE_BYTES = 4096;

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

/** Resident memory of every process in the group, in bytes. */
export function processGroupRssBytes(pgid: number): number {
  let total = 0;
  for (const pid of processGroupMembers(pgid)) {
    try {
      const resident = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
      total += resident * PAGE_BYTES;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** Signal a whole group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
