/**
 * Several ThreadedAsr workers behind one AsrEngine. One worker runs about 1 / RTF sessions in real
 * time (pocketsphinx: ~4); a pool spreads sessions over the machine's cores. Each new stream goes
 * to the worker with the fewest open streams. Each worker loads its own copy of the model.
 */
import { availableParallelism } from 'node:os';
import type { AsrCapabilities, AsrEngine, AsrStream, AsrStreamOptions } from '../asr.ts';
import type { EngineInfo } from '../engine.ts';
import { ThreadedAsr, type ThreadedEngineSpec } from './threaded-asr.ts';

export class ThreadedAsrPool implements AsrEngine {
  private readonly workers: { asr: ThreadedAsr; open: number }[];

  constructor(spec: ThreadedEngineSpec, size = availableParallelism()) {
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

  async init(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.asr.init()));
  }

  createStream(options: AsrStreamOptions): AsrStream {
    const worker = this.workers.reduce((a, b) => (b.open < a.open ? b : a));
    worker.open++;
    const stream = worker.asr.createStream(options);
    let closed = false;
    return {
      write: (samples) => stream.write(samples),
      finishUtterance: () => stream.finishUtterance(),
      close: () => {
        if (closed) return;
        closed = true;
        worker.open--;
        stream.close();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.asr.close()));
  }
}
