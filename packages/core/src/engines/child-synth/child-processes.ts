/**
 * Linux-only test aid: the live children of this process with a given command name. Tests use it
 * to see that a synthesiser child is gone after an abort, and to kill one mid-sentence.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The kernel keeps the first 15 bytes of a command name in /proc/<pid>/stat. */
const COMM_BYTES = 15;

export function childProcessesNamed(name: string, parentPid = process.pid): number[] {
  const found: number[] = [];
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
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (comm === name.slice(0, COMM_BYTES) && Number(ppid) === parentPid && state !== 'Z')
      found.push(Number(entry));
  }
  return found;
}
