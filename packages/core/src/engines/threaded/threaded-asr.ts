/**
 * Runs a speech recogniser on a worker thread. Recognisers such as pocketsphinx are synchronous
 * native code: on the main thread they would stall every WebSocket send of every session for the
 * length of each call. On a worker the event loop stays free for fan-out and the second core does
 * the recognition.
 *
 * The engine is constructed inside the worker from a module specifier, an export name and
 * JSON-serialisable options. If the worker dies, pending utterances fail with a recoverable
 * EngineError and the next write starts a new worker (streams are recreated transparently).
 */
import { Worker } from 'node:worker_threads';
import type { AsrCapabilities, AsrEngine, AsrEvent, AsrFinal, AsrStream, AsrStreamOptions } from '../asr.ts';
import { EngineError, type EngineInfo, EngineUnavailableError } from '../engine.ts';
import { EngineBase } from '../engine-base.ts';
import { StreamGuard } from '../stream-guard.ts';

export interface ThreadedEngineSpec {
  /** Package or file URL that exports the engine class, e.g. "@babelcast/engine-pocketsphinx". */
  module: string;
  exportName: string;
  options?: Record<string, unknown>;
}

type WorkerMessage =
  | { type: 'ready'; info: EngineInfo; capabilities: AsrCapabilities }
  | { type: 'init-error'; message: string; unavailable: boolean }
  | { type: 'event'; id: number; event: AsrEvent }
  | { type: 'final'; id: number; req: number; result: AsrFinal }
  | { type: 'error'; id?: number; req?: number; message: string; recoverable: boolean }
  | { type: 'closed' };

interface StreamState {
  options: AsrStreamOptions;
  /** Worker generation the stream was created in; a newer one means "recreate first". */
  generation: number;
}

/**
 * EngineBase owns the engine's init and close. A worker that dies is not a close: the engine stays
 * open and starts a replacement worker itself (see respawn), so a crash costs the utterances in
 * flight, not the sessions.
 */
export class ThreadedAsr extends EngineBase implements AsrEngine {
  info: EngineInfo;
  capabilities: AsrCapabilities = { languages: [], streaming: true, punctuated: false };
  private worker: Worker | null = null;
  private workerGeneration = 0;
  /** The current worker's start, until it dies: the first one's or a replacement's. */
  private spawning: Promise<void> | null = null;
  private readonly streams = new Map<number, StreamState>();
  private readonly pending = new Map<
    number,
    { resolve: (r: AsrFinal) => void; reject: (e: Error) => void; stream: number }
  >();
  private nextStream = 1;
  private nextReq = 1;

  constructor(private readonly spec: ThreadedEngineSpec) {
    super();
    this.info = {
      id: spec.exportName,
      kind: 'asr',
      description: `${spec.exportName} on a worker thread`,
      local: true,
    };
  }

  /** Also waits for the replacement of a worker that died, so that audio written next is heard. */
  override async init(): Promise<void> {
    await super.init();
    if (this.isOpen) await this.respawn();
  }

  protected start(): Promise<void> {
    return this.respawn();
  }

  /** Start a worker unless one is running or starting. */
  private respawn(): Promise<void> {
    if (!this.spawning) {
      const spawning = this.spawn().catch((err: unknown) => {
        // Forget a failed start at once, so that the next init() tries again.
        if (this.spawning === spawning) this.spawning = null;
        throw err;
      });
      this.spawning = spawning;
    }
    return this.spawning;
  }

  private spawn(): Promise<void> {
    this.workerGeneration++;
    const worker = new Worker(new URL('./asr-worker.js', import.meta.url), {
      workerData: {
        module: this.spec.module,
        exportName: this.spec.exportName,
        options: this.spec.options ?? {},
      },
    });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (m: WorkerMessage) => {
        switch (m.type) {
          case 'ready':
            this.info = { ...m.info, description: `${m.info.description} (worker thread)` };
            this.capabilities = m.capabilities;
            resolve();
            return;
          case 'init-error':
            reject(
              m.unavailable
                ? new EngineUnavailableError(this.spec.exportName, m.message)
                : new EngineError(this.spec.exportName, m.message, false),
            );
            void worker.terminate();
            return;
          case 'event':
            this.streams.get(m.id)?.options.onEvent?.(m.event);
            return;
          case 'final': {
            const p = this.pending.get(m.req);
            this.pending.delete(m.req);
            p?.resolve(m.result);
            return;
          }
          case 'error': {
            if (m.req === undefined) return;
            const p = this.pending.get(m.req);
            this.pending.delete(m.req);
            p?.reject(new EngineError(this.info.id, m.message, m.recoverable));
            return;
          }
        }
      });
      worker.on('error', (err) =>
        reject(new EngineError(this.info.id, `worker failed: ${err.message}`, true, { cause: err })),
      );
      worker.on('exit', () => {
        // Settles nothing when the worker was ready; otherwise init() would wait forever.
        reject(new EngineError(this.info.id, 'recogniser worker stopped before it was ready'));
        if (this.worker !== worker) return;
        this.worker = null;
        this.spawning = null;
        for (const [req, p] of this.pending) {
          this.pending.delete(req);
          p.reject(new EngineError(this.info.id, 'recogniser worker stopped; the utterance was lost'));
        }
      });
    });
  }

  private post(message: object, transfer?: ArrayBuffer[]): void {
    this.worker?.postMessage(message, transfer);
  }

  /** Make sure the worker is up and the stream exists in the current generation. */
  private ensure(id: number): boolean {
    if (!this.worker) {
      // Restart in the background; audio written meanwhile is lost, which the pipeline reports.
      void this.respawn().catch(() => {});
      return false;
    }
    const s = this.streams.get(id);
    if (!s) return false;
    if (s.generation !== this.workerGeneration) {
      this.post({ op: 'create', id, language: s.options.language });
      s.generation = this.workerGeneration;
    }
    return true;
  }

  createStream(options: AsrStreamOptions): AsrStream {
    this.assertOpen();
    const id = this.nextStream++;
    const guard = new StreamGuard(this.info.id);
    /** A closed stream or engine will not work again; a missing worker will (recoverable). */
    const ready = (operation: string) => {
      guard.assertOpen(operation);
      this.assertOpen();
      if (!this.ensure(id)) throw new EngineError(this.info.id, 'recogniser worker is restarting');
    };
    this.streams.set(id, { options, generation: this.workerGeneration });
    this.post({ op: 'create', id, language: options.language });
    return {
      write: (samples) => {
        ready('write');
        // Copy: the caller may reuse its buffer, and a transferred buffer is detached.
        const copy = samples.slice();
        this.post({ op: 'write', id, samples: copy.buffer }, [copy.buffer]);
      },
      finishUtterance: async () => {
        ready('finishUtterance');
        const req = this.nextReq++;
        return new Promise<AsrFinal>((resolve, reject) => {
          this.pending.set(req, { resolve, reject, stream: id });
          this.post({ op: 'finish', id, req });
        });
      },
      close: () => {
        if (!guard.close()) return;
        this.streams.delete(id);
        this.post({ op: 'close', id });
      },
    };
  }

  protected async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'closed') void worker.terminate();
      });
      worker.postMessage({ op: 'shutdown' });
    });
    await worker.terminate();
    this.worker = null;
  }

  /** For tests: kill the worker as a crash would. */
  async crashForTesting(): Promise<void> {
    await this.worker?.terminate();
  }
}
