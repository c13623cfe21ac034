/** Starts bench/lib/server-process.ts as a child process and talks to it. */
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChildRequests, stopChild } from './child-rpc.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface Usage {
  cpuMs: number;
  wallMs: number;
  rss: number;
  rssPeak: number;
}

export class ServerProcess {
  private readonly requests: ChildRequests;
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly token: string,
    readonly engines: Record<string, string>,
  ) {
    this.requests = new ChildRequests(child, 'bench server is gone');
  }

  static async start(options: {
    engines: string | Record<string, unknown>;
    probe?: boolean;
    /** Config over the defaults (e.g. { pipeline: { mode: 'sentence' } }). */
    config?: Record<string, unknown>;
    /** More node options for the server, e.g. ['--cpu-prof', '--cpu-prof-dir=DIR'] to profile it. */
    nodeArgs?: string[];
  }): Promise<ServerProcess> {
    const child = fork(join(here, 'server-process.ts'), [], {
      execArgv: ['--import', 'tsx', ...(options.nodeArgs ?? [])],
      env: {
        ...process.env,
        BENCH_ENGINES:
          typeof options.engines === 'string' ? options.engines : JSON.stringify(options.engines),
        BENCH_PROBE: options.probe ? '1' : '0',
        BENCH_CONFIG: JSON.stringify(options.config ?? {}),
      },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
      if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`bench server exited (${code}) before it was ready: ${stderr.trim().slice(-2000)}`));
      child.once('exit', onExit);
      child.once(
        'message',
        (m: { type: string; url: string; token: string; engines: Record<string, string> }) => {
          child.off('exit', onExit);
          resolve(new ServerProcess(child, m.url, m.token, m.engines));
        },
      );
    });
  }

  request<T>(cmd: string): Promise<T> {
    return this.requests.send({ cmd });
  }

  usage(): Promise<Usage> {
    return this.request('usage');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await stopChild(this.child, () => this.request('stop').catch(() => {}), 10_000);
  }
}

/** CPU use between two samples, in % of one core. */
export function cpuPercent(a: Usage, b: Usage): number {
  return Math.round(((b.cpuMs - a.cpuMs) / Math.max(1, b.wallMs - a.wallMs)) * 1000) / 10;
}

export const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

export async function createSession(url: string, token: string, sourceLanguage = 'en'): Promise<string> {
  const res = await fetch(`${url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ sourceLanguage, title: 'bench' }),
  });
  if (!res.ok) throw new Error(`cannot create a session: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
