/**
 * Request and answer over a forked benchmark child's IPC channel, both sides: the parent's
 * clients (ServerProcess, Swarm, ClusterNode) send `{ id, cmd, … }` and the child answers
 * `{ id, result }`. The usage and resetPeak requests are the same in every child that reports its
 * CPU and memory (the bench server, a cluster node), so they are answered here.
 */
import type { ChildProcess } from 'node:child_process';
import { within } from '@babelcast/core';
import type { trackUsage } from './process-usage.ts';

/** The parent's side: each request gets the child's answer to its id. */
export class ChildRequests {
  private nextId = 1;
  private readonly pending = new Map<number, (v: unknown) => void>();

  constructor(
    private readonly child: ChildProcess,
    private readonly goneMessage: string,
  ) {
    child.on('message', (m: { id?: number; result?: unknown }) => {
      if (m.id === undefined) return;
      this.pending.get(m.id)?.(m.result);
      this.pending.delete(m.id);
    });
  }

  /** The child's answer; rejects at once when the child is gone. */
  send<T>(message: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.child.connected) return reject(new Error(this.goneMessage));
      this.pending.set(id, resolve as (v: unknown) => void);
      this.child.send({ id, ...message });
    });
  }

  /** Answers every request still waiting with `result` (the child exited and never will). */
  answerPending(result: unknown): void {
    for (const resolve of this.pending.values()) resolve(result);
    this.pending.clear();
  }
}

/**
 * Asks a child to stop (waiting at most `askMs` for its answer), then gives it 5 s to exit before
 * it is killed: a bench must never leave a process behind.
 */
export async function stopChild(
  child: ChildProcess,
  ask: () => Promise<unknown>,
  askMs: number,
): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  await within(ask(), askMs);
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

type Handler = () => unknown;

/**
 * The child's side: answers the parent's requests with `handlers[cmd]()`, plus usage and
 * resetPeak from `usage`. After answering `stop` it disconnects, so it can exit.
 */
export function answerParent(
  usage: ReturnType<typeof trackUsage>,
  handlers: Record<string, Handler> & { stop: Handler },
): void {
  const all: Record<string, Handler> = {
    usage: () => usage.now(),
    resetPeak: () => {
      usage.resetPeak();
      return null;
    },
    ...handlers,
  };
  process.on('message', async (req: { id: number; cmd: string }) => {
    const handler = all[req.cmd];
    if (!handler) return;
    const result = await handler();
    process.send!({ id: req.id, result });
    if (req.cmd === 'stop') process.disconnect();
  });
}
