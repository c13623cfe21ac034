/** Starts test/fixtures/child-server.ts in a child process and talks to it (see there). */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('./fixtures/child-server.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ChildServer {
  url: string;
  token: string;
  child: ChildProcess;
  /** pino lines at level error (50) or fatal (60). */
  errorLogs: string[];
  /** Set when the process ended (it should not, until stop()). */
  exited: { code: number | null; signal: string | null } | null;
  stats(): Promise<{ rss: number; connections: number; listeners: number }>;
  createSession(): Promise<string>;
  fillHistory(session: string, count: number, textBytes: number): Promise<void>;
  stop(): Promise<void>;
}

export async function spawnServer(overrides: object = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(overrides)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const errorLogs: string[] = [];
  let stderr = '';
  let pending = '';
  child.stdout!.on('data', (d: Buffer) => {
    pending += d.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (/"level":(5\d|6\d)/.test(line)) errorLogs.push(line);
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  const waiters = new Map<number, (m: Record<string, unknown>) => void>();
  child.on('message', (m: Record<string, unknown>) => waiters.get(m.id as number)?.(m));
  let nextId = 1;
  const ask = (msg: object, timeoutMs = 30_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(
        () => reject(new Error(`child server did not answer ${JSON.stringify(msg)}`)),
        timeoutMs,
      );
      waiters.set(id, (m) => {
        clearTimeout(timer);
        waiters.delete(id);
        if (m.error) reject(new Error(String(m.error)));
        else resolve(m);
      });
      child.send({ id, ...msg });
    });
  const server: ChildServer = {
    url: '',
    token: '',
    child,
    errorLogs,
    exited: null,
    stats: () => ask({ type: 'stats' }) as never,
    createSession: async () => (await ask({ type: 'session' })).session as string,
    fillHistory: async (session, count, textBytes) => {
      await ask({ type: 'history', session, count, textBytes });
    },
    async stop() {
      if (server.exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      await ask({ type: 'close' }, 15_000).catch(() => child.kill('SIGKILL'));
      await gone;
    },
  };
  child.on('exit', (code, signal) => {
    server.exited = { code, signal };
  });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child server did not start: ${stderr}`)), 60_000);
    waiters.set(0, (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child server exited with ${code}: ${stderr}`));
    });
  });
  server.url = ready.url as string;
  server.token = ready.token as string;
  return server;
}
