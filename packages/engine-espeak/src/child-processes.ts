/** Linux-only test aid: the running children of this process with a given command name. */
import { readdirSync, readFileSync } from 'node:fs';

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
    if (comm === name && Number(ppid) === parentPid && state !== 'Z') found.push(Number(entry));
  }
  return found;
}
