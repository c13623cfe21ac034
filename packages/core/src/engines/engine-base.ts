/**
 * The lifecycle every engine shares, written once: `init()` starts the engine once however often
 * it is called (a failed start may be tried again), `close()` stops it once however often it is
 * called, and `assertOpen()` refuses work before init or after close. An engine implements only
 * `start` (load models, spawn processes, connect) and `stop` (release whatever start acquired).
 *
 * A close while a start is still running stops what the start acquired so far; when the start
 * then finishes, what it acquired after that is stopped too and its init() rejects, so a close is
 * never undone by a start that was slower than it. After a close, init() starts afresh.
 */
import { EngineError, type Engine, type EngineInfo } from './engine.ts';

export abstract class EngineBase implements Engine {
  abstract readonly info: EngineInfo;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  /** Bumped by every close: a start that began before it must not leave the engine running. */
  private generation = 0;
  private running = false;

  /** Acquire what the engine needs. Called once per init (again only after a failure or a close). */
  protected abstract start(): Promise<void>;
  /** Release what `start` acquired, also when it acquired only part of it. Called once per close. */
  protected abstract stop(): Promise<void>;

  init(): Promise<void> {
    if (!this.starting) {
      const generation = this.generation;
      this.starting = this.start().then(
        async () => {
          if (generation === this.generation) {
            this.running = true;
            return;
          }
          await this.stop();
          throw new EngineError(this.info.id, 'closed while starting', false);
        },
        (err: unknown) => {
          // Forget the failure so that the next init() tries again (a package installed since).
          if (generation === this.generation) this.starting = undefined;
          throw err;
        },
      );
    }
    return this.starting;
  }

  close(): Promise<void> {
    if (!this.starting) return this.stopping ?? Promise.resolve();
    this.starting = undefined;
    this.running = false;
    this.generation++;
    const previous = this.stopping ?? Promise.resolve();
    const stopping = previous.then(() => this.stop());
    this.stopping = stopping;
    const forget = () => {
      if (this.stopping === stopping) this.stopping = undefined;
    };
    stopping.then(forget, forget);
    return stopping;
  }

  /** True between a successful init() and the next close(). */
  protected get isOpen(): boolean {
    return this.running;
  }

  /** Refuse an operation before init() or after close() (not recoverable: retrying will not help). */
  protected assertOpen(): void {
    if (!this.running)
      throw new EngineError(this.info.id, 'init() was not called or the engine is closed', false);
  }
}
