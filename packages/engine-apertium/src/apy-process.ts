/**
 * Supervises one apertium-apy server: starts it on a loopback port, waits until `/listPairs`
 * answers, restarts it with exponential backoff when it dies or stops answering, and stops it
 * with every pipeline process it started. Requests made during a restart wait a bounded time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EngineError } from '@babelcast/core/engines';
import { findFreePort } from './free-port.ts';
import { type GroupMemory, processGroupMembers, processGroupMemory, signalGroup } from './process-group.ts';

export interface ApyLaunch {
  /** Interpreter + arguments that precede apy's own arguments, e.g. ["/usr/bin/python3", "-c", LAUNCHER, apyPath]. */
  command: string;
  prefixArgs: string[];
  pairsPath: string;
  extraArgs: string[];
  /** apy's own per-request timeout (-t), in seconds. */
  apyTimeoutSeconds: number;
}

export interface ApyProcessOptions {
  engineId: string;
  launch: ApyLaunch;
  /** 0 = pick a free port (and a new one if the chosen port turns out to be taken). */
  port: number;
  startTimeoutMs: number;
  /** Interval of `/listPairs` checks while running; 0 disables them. */
  healthIntervalMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Lifecycle notes for logs: "started on port 4242", "exited (SIGKILL); restarting in 400 ms". */
  onNotice?: (message: string) => void;
}

type State = 'idle' | 'starting' | 'running' | 'waiting' | 'closed';

/** A run that lasted this long was healthy: the next crash restarts without accumulated backoff. */
const STABLE_RUN_MS = 30_000;
const HEALTH_TIMEOUT_MS = 3_000;
const HEALTH_POLL_MS = 100;
const HEALTH_FAILURES_BEFORE_RESTART = 2;
const STDERR_KEEP_CHARS = 4_000;

/**
 * Python prelude run instead of apy's own entry script: apy binds every interface and has no
 * option to change that, but a translation backend has no business listening beyond loopback.
 */
export const LOOPBACK_LAUNCHER = [
  'import os, runpy, signal, sys, threading',
  // Die with the parent: our stdin is a pipe from the Node process. When that process is gone (even
  // SIGKILLed or OOM-killed) the pipe reads EOF, and the watchdog kills apy's whole process group,
  // the per-pair pipelines included, instead of leaving them re-parented to init.
  'def _watch_parent():',
  '    try:',
  '        while sys.stdin.buffer.read(4096): pass',
  '    finally:',
  '        os.killpg(0, signal.SIGKILL)',
  'threading.Thread(target=_watch_parent, daemon=True).start()',
  'import tornado.tcpserver as tcp',
  '_bind = tcp.TCPServer.bind',
  "tcp.TCPServer.bind = lambda self, port, address=None, *a, **k: _bind(self, port, '127.0.0.1', *a, **k)",
  'sys.argv = sys.argv[1:]',
  "runpy.run_path(sys.argv[0], run_name='__main__')",
].join('\n');

interface Readiness {
  promise: Promise<string | null>;
  resolve: (baseUrl: string | null) => void;
}

const GROUP_GONE_TIMEOUT_MS = 2_000;

/** Pipeline processes die a few ms after apy; close() promises none is left. */
async function waitForGroupGone(pgid: number): Promise<void> {
  const deadline = Date.now() + GROUP_GONE_TIMEOUT_MS;
  while (processGroupMembers(pgid).length > 0 && Date.now() < deadline) {
    signalGroup(pgid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function readiness(): Readiness {
  let resolve!: (baseUrl: string | null) => void;
  const promise = new Promise<string | null>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export class ApyProcess {
  private state: State = 'idle';
  private child: ChildProcess | undefined;
  private childExit: Promise<void> = Promise.resolve();
  private port = 0;
  private ready = readiness();
  private failures = 0;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private healthFailures = 0;
  private stderrTail = '';
  /** Kills the group if Node exits without close(): apy must not outlive the server. */
  private readonly onNodeExit = () => {
    if (this.child?.pid) signalGroup(this.child.pid, 'SIGKILL');
  };
  /** Completed (re)starts, the first one included. */
  starts = 0;

  constructor(private readonly options: ApyProcessOptions) {}

  get baseUrl(): string | undefined {
    return this.state === 'running' ? `http://127.0.0.1:${this.port}` : undefined;
  }

  /** A getter because TypeScript would keep `state` narrowed across the awaits in between. */
  private get closed(): boolean {
    return this.state === 'closed';
  }

  /** apy's pid, which is also its process group id. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Memory of apy and all its pipeline processes. */
  memory(): GroupMemory {
    return this.child?.pid ? processGroupMemory(this.child.pid) : { rssBytes: 0, pssBytes: 0 };
  }

  /** First start: rejects with the reason (stderr tail) if apy does not come up. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`start() called in state ${this.state}`);
    process.on('exit', this.onNodeExit);
    try {
      await this.launch(this.options.port);
    } catch (err) {
      if (!this.closed) this.state = 'idle';
      process.off('exit', this.onNodeExit);
      throw err;
    }
    if (this.options.healthIntervalMs > 0) {
      this.healthTimer = setInterval(() => void this.checkHealth(), this.options.healthIntervalMs);
      this.healthTimer.unref();
    }
  }

  /** The base URL once apy is running; waits up to `timeoutMs` during a restart. */
  async whenReady(timeoutMs: number, signal?: AbortSignal): Promise<string> {
    const id = this.options.engineId;
    if (this.state === 'running') return `http://127.0.0.1:${this.port}`;
    if (this.state === 'closed' || this.state === 'idle')
      throw new EngineError(
        id,
        this.state === 'closed' ? 'engine is closed' : 'init() was not called',
        false,
      );
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new EngineError(id, `apertium-apy is restarting and was not back within ${timeoutMs} ms`)),
        timeoutMs,
      );
      onAbort = () => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const baseUrl = await Promise.race([this.ready.promise, timeout]);
      if (baseUrl === null) throw new EngineError(id, 'engine is closed', false);
      return baseUrl;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Called after a request could not reach apy. If apy no longer answers, it is killed so that
   * the exit handler restarts it; resolves once that has been set in motion.
   */
  async recover(): Promise<void> {
    if (this.state !== 'running') return;
    if (await this.healthy(this.port)) return;
    if (this.child?.pid) signalGroup(this.child.pid, 'SIGKILL');
    await this.childExit;
  }

  async stop(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.restartTimer);
    clearInterval(this.healthTimer);
    this.ready.resolve(null);
    // apy keeps no state worth a graceful shutdown; SIGKILL to the group also ends its pipelines.
    const pgid = this.child?.pid;
    if (pgid) signalGroup(pgid, 'SIGKILL');
    await this.childExit;
    if (pgid) await waitForGroupGone(pgid);
    process.off('exit', this.onNodeExit);
  }

  private async launch(requestedPort: number): Promise<void> {
    this.state = 'starting';
    const port = requestedPort || (await findFreePort());
    const { launch } = this.options;
    const args = [
      ...launch.prefixArgs,
      '--port',
      String(port),
      '--timeout',
      String(launch.apyTimeoutSeconds),
      ...launch.extraArgs,
      launch.pairsPath,
    ];
    this.stderrTail = '';
    // stdin is a pipe we never write: the launcher's watchdog sees EOF when this process dies.
    const child = spawn(launch.command, args, { detached: true, stdio: ['pipe', 'ignore', 'pipe'] });
    this.child = child;
    // apy logs every request to stderr: keep draining it or it blocks once the pipe is full.
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      this.stderrTail = (this.stderrTail + s).slice(-STDERR_KEEP_CHARS);
    });
    const exitReason = new Promise<string>((resolve) => {
      child.once('error', (err) => resolve(`could not be started (${err.message})`));
      child.once('exit', (code, signal) => resolve(`exited (${signal ?? `code ${code}`})`));
    });
    this.childExit = exitReason.then((why) => this.onExit(child, why));

    const outcome = await this.waitUntilHealthy(port, exitReason);
    if (outcome !== 'healthy') {
      if (child.pid) signalGroup(child.pid, 'SIGKILL');
      await this.childExit;
      const detail = this.stderrTail.trim().split('\n').slice(-5).join('\n');
      if (this.closed) throw new EngineError(this.options.engineId, 'closed while starting', false);
      // Recoverable: a start that timed out on a busy machine may succeed when tried again.
      throw new EngineError(
        this.options.engineId,
        `apertium-apy ${outcome}${detail ? `:\n${detail}` : ''}`,
        true,
      );
    }
    if (this.state !== 'starting') return; // closed meanwhile
    this.port = port;
    this.state = 'running';
    this.startedAt = Date.now();
    this.healthFailures = 0;
    this.starts++;
    this.options.onNotice?.(`apertium-apy started on 127.0.0.1:${port} (pid ${child.pid})`);
    this.ready.resolve(`http://127.0.0.1:${port}`);
  }

  private async waitUntilHealthy(port: number, exitReason: Promise<string>): Promise<'healthy' | string> {
    const deadline = Date.now() + this.options.startTimeoutMs;
    let exited: string | undefined;
    void exitReason.then((why) => {
      exited = why;
    });
    while (Date.now() < deadline) {
      if (exited) return exited;
      if (this.state === 'closed') return 'was closed while starting';
      if (await this.healthy(port)) return 'healthy';
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    }
    return `did not answer /listPairs within ${this.options.startTimeoutMs} ms`;
  }

  private async healthy(port: number): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/listPairs`, {
        signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  }

  private async checkHealth(): Promise<void> {
    if (this.state !== 'running') return;
    if (await this.healthy(this.port)) {
      this.healthFailures = 0;
      return;
    }
    if (++this.healthFailures >= HEALTH_FAILURES_BEFORE_RESTART && this.child?.pid) {
      this.options.onNotice?.('apertium-apy stopped answering /listPairs; restarting it');
      signalGroup(this.child.pid, 'SIGKILL');
    }
  }

  private onExit(child: ChildProcess, why: string): void {
    // Pipelines outlive apy (they only see EOF later): end them with it.
    if (child.pid) signalGroup(child.pid, 'SIGKILL');
    if (child !== this.child) return;
    this.child = undefined;
    if (this.state !== 'running') return; // a failed start is handled by launch()
    if (Date.now() - this.startedAt > STABLE_RUN_MS) this.failures = 0;
    this.state = 'waiting';
    this.ready = readiness();
    this.scheduleRestart(why);
  }

  private scheduleRestart(why: string): void {
    const { backoffInitialMs, backoffMaxMs } = this.options;
    const delay = Math.min(backoffMaxMs, backoffInitialMs * 2 ** this.failures);
    this.failures++;
    this.options.onNotice?.(`apertium-apy ${why}; restarting in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      // Keep the port so URLs stay valid, unless it was picked for us and has been taken since.
      this.launch(this.options.port || this.port).catch((err: unknown) => {
        if (this.state === 'closed') return;
        this.state = 'waiting';
        if (!this.options.port) this.port = 0;
        this.scheduleRestart(`failed to restart (${err instanceof Error ? err.message : String(err)})`);
      });
    }, delay);
    this.restartTimer.unref();
  }
}
