/**
 * Several ThreadedAsr workers behind one AsrEngine. One worker runs about 1 / RTF sessions in real
 * time (pocketsphinx: ~4); a pool spreads sessions over the machine's cores. Each new stream goes
 * to the worker with the fewest open streams. Each worker loads its own copy of the model.
 */
import { availableParallelism } from 'node:os';
import type { AsrCapabilities, AsrEngine, AsrStream, AsrStreamOptions } from '../asr.ts';
import type { EngineInfo } from '../engine.ts';
import { EngineBase } from '../engine-base.ts';
import { StreamGuard } from '../stream-guard.ts';
import { ThreadedAsr, type ThreadedEngineSpec } from './threaded-asr.ts';

export class ThreadedAsrPool extends EngineBase implements AsrEngine {
  private readonly workers: { asr: ThreadedAsr; open: number }[];

  constructor(spec: ThreadedEngineSpec, size = availableParallelism()) {
    super();
    this.workers = Array.from({ length: Math.max(1, size) }, () => ({ asr: new ThreadedAsr(spec), open: 0 }));
  }

  get info(): EngineInfo {
    const { info } = this.workers[0]!.asr;
    return {
      ...info,
      description: `${info.description.replace(/ \(worker thread\)$/, '')} (${this.workers.length} worker threads)`,
    };
  }

  get capabilities(): AsrCapabilities {
    return this.workers[0]!.asr.capabilities;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Like ThreadedAsr.init, also waits for the replacements of workers that died. */
  override async init(): Promise<void> {
    await super.init();
    if (this.isOpen) await Promise.all(this.workers.map((w) => w.asr.init()));
  }

  protected async start(): Promise<void> {
    const started = await Promise.allSettled(this.workers.map((w) => w.asr.init()));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      // A failed start is not followed by stop(): end the workers that did start.
      await this.stop();
      throw failure.reason;
    }
  }

  protected async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.asr.close()));
  }

  createStream(options: AsrStreamOptions): AsrStream {
    this.assertOpen();
    const worker = this.workers.reduce((a, b) => (b.open < a.open ? b : a));
    const stream = worker.asr.createStream(options);
    worker.open++;
    const guard = new StreamGuard(this.info.id);
    return {
      write: (samples) => stream.write(samples),
      finishUtterance: () => stream.finishUtterance(),
      close: () => {
        if (!guard.close()) return;
        worker.open--;
        stream.close();
      },
    };
  }
}
