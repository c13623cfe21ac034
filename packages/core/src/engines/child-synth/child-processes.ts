/**
 * Linux-only test aid: the live processes with a given command name below this one (children,
 * or grandchildren: the voice programs run under the voice spawner). Tests use it to see that a
 * synthesiser is gone after an abort, and to kill one mid-sentence.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The kernel keeps the first 15 bytes of a command name in /proc/<pid>/stat. */
const COMM_BYTES = 15;

interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
}

function processes(): ProcStat[] {
  const found: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // Format: pid (comm) state ppid …; comm may contain spaces, so split after the last ")".
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const [state = '', ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    found.push({ pid: Number(entry), comm, state, ppid: Number(ppid) });
  }
  return found;
}

export function childProcessesNamed(name: string, ancestorPid = process.pid): number[] {
  const all = processes();
  const below = new Set([ancestorPid]);
  // Parents may be listed after their children: repeat until no new descendant turns up.
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all)
      if (below.has(p.ppid) && !below.has(p.pid)) {
        below.add(p.pid);
        grew = true;
      }
  }
  return all
    .filter((p) => p.pid !== ancestorPid && below.has(p.pid))
    .filter((p) => p.comm === name.slice(0, COMM_BYTES) && p.state !== 'Z')
    .map((p) => p.pid);
}
