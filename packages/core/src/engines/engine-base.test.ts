import { describe, expect, it } from 'vitest';
import { EngineError, type EngineInfo } from './engine.ts';
import { EngineBase } from './engine-base.ts';

class Probe extends EngineBase {
  readonly info: EngineInfo = { id: 'probe', kind: 'mt', description: 'test engine', local: true };
  starts = 0;
  stops = 0;
  failNext: Error | null = null;
  /** While set, start waits for it. */
  gate: Promise<void> | null = null;
  resources = 0;

  protected async start(): Promise<void> {
    this.starts++;
    if (this.gate) await this.gate;
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = null;
      throw err;
    }
    this.resources++;
  }

  protected async stop(): Promise<void> {
    this.stops++;
    this.resources = 0;
  }

  work(): string {
    this.assertOpen();
    return 'done';
  }
}

describe('EngineBase', () => {
  it('starts once however often init() is called, concurrently or not', async () => {
    const e = new Probe();
    await Promise.all([e.init(), e.init(), e.init()]);
    await e.init();
    expect(e.starts).toBe(1);
    expect(e.work()).toBe('done');
  });

  it('lets a failed init be tried again', async () => {
    const e = new Probe();
    e.failNext = new Error('package missing');
    await expect(e.init()).rejects.toThrow('package missing');
    expect(() => e.work()).toThrow(EngineError);
    await e.init();
    expect(e.starts).toBe(2);
    expect(e.work()).toBe('done');
  });

  it('stops once however often close() is called, and refuses work afterwards', async () => {
    const e = new Probe();
    await e.init();
    await Promise.all([e.close(), e.close()]);
    await e.close();
    expect(e.stops).toBe(1);
    expect(() => e.work()).toThrow(/init\(\) was not called or the engine is closed/);
    try {
      e.work();
    } catch (err) {
      expect((err as EngineError).recoverable).toBe(false);
    }
  });

  it('does not stop an engine that never started', async () => {
    const e = new Probe();
    await e.close();
    expect(e.stops).toBe(0);
  });

  it('starts afresh after a close', async () => {
    const e = new Probe();
    await e.init();
    await e.close();
    await e.init();
    expect(e.starts).toBe(2);
    expect(e.work()).toBe('done');
  });

  it('is not left running by a start that finishes after close()', async () => {
    const e = new Probe();
    let open!: () => void;
    e.gate = new Promise((r) => {
      open = r;
    });
    const init = e.init();
    await e.close();
    open();
    await expect(init).rejects.toThrow(/closed while starting/);
    expect(e.resources).toBe(0);
    expect(() => e.work()).toThrow(EngineError);
  });
});
