/** Starts bench/lib/listener-swarm.ts child processes and talks to them. */
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChildRequests, stopChild } from './child-rpc.ts';
import type { LanguageTally, Published } from './fanout-accounting.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface SwarmReport {
  listeners: number;
  /** Per target language: what its listeners received, matched against the probe. */
  byLanguage: Record<string, LanguageTally>;
  closed: Record<string, number>;
  /** Per listener raw counts (captions include partials; drafts not counted), any language. */
  minCaptions: number;
  minAudio: number;
  maxCaptions: number;
  maxAudio: number;
}

export class Swarm {
  private readonly requests: ChildRequests;
  private constructor(readonly child: ChildProcess) {
    this.requests = new ChildRequests(child, 'listener process is gone');
  }

  static async start(): Promise<Swarm> {
    const child = fork(join(here, 'listener-swarm.ts'), [], {
      execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`listener process exited (${code})`)));
    });
    return new Swarm(child);
  }

  request<T>(message: Record<string, unknown>): Promise<T> {
    return this.requests.send(message);
  }

  connect(url: string, count: number, parallel = 50) {
    return this.request<{ ok: number; failed: number; ms: number }>({ cmd: 'connect', url, count, parallel });
  }

  /** The listener process's CPU time so far and its wall clock. */
  usage() {
    return this.request<{ cpuMs: number; wallMs: number }>({ cmd: 'usage' });
  }

  report(published: Published[]) {
    return this.request<SwarmReport>({ cmd: 'report', published });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await stopChild(this.child, () => this.request({ cmd: 'stop' }).catch(() => {}), 10_000);
  }
}
