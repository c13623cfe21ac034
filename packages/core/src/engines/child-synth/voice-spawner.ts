/**
 * Starts voice programs through one small long-lived child process (spawner-child.mjs) instead
 * of from the server itself. Forking the ~500 MB server for every voiced chunk blocked its event
 * loop 25–60 ms each time (see spawner-child.mjs); the spawner is forked once, lazily, and
 * started again if it dies (the sentences it was running fail with a recoverable error).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { PassThrough } from 'node:stream';

export interface SpawnRequest {
  command: string;
  args: string[];
  /** Written to the program's stdin, which is then closed; undefined: no stdin. */
  stdin?: string;
  /** Relay the program's stdout (false: the program writes a file). */
  stdout: boolean;
}

export interface ProgramOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
}

/** A voice program started through the spawner: the subset of ChildProcess the voices use. */
export interface SpawnedProgram {
  readonly stdout: PassThrough | null;
  onStderr(listener: (text: string) => void): void;
  kill(): void;
  readonly exited: boolean;
  readonly outcome: Promise<ProgramOutcome>;
}

type SpawnerMessage =
  | { t: 'out'; id: number; data: Uint8Array }
  | { t: 'err'; id: number; data: string }
  | {
      t: 'exit';
      id: number;
      code?: number | null;
      signal?: NodeJS.Signals | null;
      error?: { code?: string; message: string };
    };

interface Running {
  /** The spawner running it: only its exit fails this program. */
  owner: ChildProcess;
  stdout: PassThrough | null;
  stderr: ((text: string) => void)[];
  settle: (outcome: ProgramOutcome) => void;
}

const SPAWNER_SCRIPT = new URL('./spawner-child.mjs', import.meta.url);

export class VoiceSpawner {
  private child: ChildProcess | null = null;
  private readonly running = new Map<number, Running>();
  private nextId = 1;

  spawn(request: SpawnRequest): SpawnedProgram {
    const spawner = this.spawner();
    const id = this.nextId++;
    const stdout = request.stdout ? new PassThrough() : null;
    const stderr: ((text: string) => void)[] = [];
    let exited = false;
    const outcome = new Promise<ProgramOutcome>((resolve) => {
      this.running.set(id, {
        owner: spawner,
        stdout,
        stderr,
        settle: (o) => {
          exited = true;
          this.running.delete(id);
          this.holdOpen(spawner);
          stdout?.end();
          resolve(o);
        },
      });
    });
    this.holdOpen(spawner);
    spawner.send({ t: 'spawn', id, ...request });
    return {
      stdout,
      onStderr: (listener) => stderr.push(listener),
      kill: () => {
        if (!exited && spawner.connected) spawner.send({ t: 'kill', id });
      },
      get exited() {
        return exited;
      },
      outcome,
    };
  }

  /** Stop the spawner (and with it any program still running). Idempotent. */
  close(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
  }

  private spawner(): ChildProcess {
    if (this.child?.connected) return this.child;
    const child = fork(SPAWNER_SCRIPT, [], {
      // Plain JavaScript: none of the server's loader flags, and a small heap.
      execArgv: ['--max-old-space-size=64'],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.on('message', (m: SpawnerMessage) => this.onMessage(m));
    child.once('exit', () => this.onSpawnerExit(child));
    child.once('error', () => this.onSpawnerExit(child));
    // An idle spawner must not keep the server (or a test run) alive on its own; see holdOpen.
    child.unref();
    this.child = child;
    this.holdOpen(child);
    return child;
  }

  /**
   * The IPC channel keeps this process alive only while a program runs: a script that awaits a
   * sentence must not exit before its audio arrives, and an idle spawner must not hold it open.
   */
  private holdOpen(child: ChildProcess): void {
    const channel = child.channel as { ref?: () => void; unref?: () => void } | null | undefined;
    const busy = [...this.running.values()].some((r) => r.owner === child);
    if (busy) channel?.ref?.();
    else channel?.unref?.();
  }

  private onMessage(m: SpawnerMessage): void {
    const r = this.running.get(m.id);
    if (!r) return;
    if (m.t === 'out') r.stdout?.write(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
    else if (m.t === 'err') for (const listener of r.stderr) listener(m.data);
    else if (m.error) {
      const spawnError = Object.assign(new Error(m.error.message), { code: m.error.code });
      r.settle({ code: null, signal: null, spawnError });
    } else r.settle({ code: m.code ?? null, signal: m.signal ?? null });
  }

  private onSpawnerExit(child: ChildProcess): void {
    if (this.child === child) this.child = null;
    const spawnError = Object.assign(new Error('the voice spawner process exited'), { code: 'ESPAWNER' });
    for (const r of [...this.running.values()])
      if (r.owner === child) r.settle({ code: null, signal: null, spawnError });
  }
}

/** One spawner per server process: every voice engine shares it. */
export const voiceSpawner = new VoiceSpawner();
