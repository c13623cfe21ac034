import { describe, expect, it } from 'vitest';
import { describeAsrConformance } from '../../testing/conformance.ts';
import { EngineError } from '../engine.ts';
import { ThreadedAsr } from './threaded-asr.ts';

const fakeSpec = { module: new URL('../fakes/fake-asr.ts', import.meta.url).href, exportName: 'FakeAsr' };
const failingSpec = {
  module: new URL('./failing-asr.fixture.ts', import.meta.url).href,
  exportName: 'FailingAsr',
};

/** What `fn` rejected with, when it is an EngineError. */
async function engineErrorOf(fn: () => unknown): Promise<EngineError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
  throw new Error('expected an EngineError');
}

describeAsrConformance('fake on a worker thread', () => new ThreadedAsr(fakeSpec));

describe('ThreadedAsr', () => {
  it('takes info and capabilities from the engine in the worker', async () => {
    const asr = new ThreadedAsr({ ...fakeSpec, options: { languages: ['en', 'xx'] } });
    await asr.init();
    expect(asr.capabilities.languages).toEqual(['en', 'xx']);
    expect(asr.info.id).toBe('fake');
    await asr.close();
  });

  it('reports an engine that cannot load as unavailable', async () => {
    const asr = new ThreadedAsr({ module: fakeSpec.module, exportName: 'NoSuchEngine' });
    await expect(asr.init()).rejects.toThrow();
    await asr.close();
  });

  it('fails the pending utterance when the worker dies, then recovers with a new worker', async () => {
    const asr = new ThreadedAsr(fakeSpec);
    await asr.init();
    const stream = asr.createStream({ language: 'en' });
    stream.write(new Int16Array(16000).fill(2000));
    await asr.crashForTesting();
    await expect(stream.finishUtterance()).rejects.toThrow(/restarting|stopped/);
    await asr.init();
    stream.write(new Int16Array(16000).fill(2000));
    // Only the audio written after the restart counts: 1 s at 400 ms a word.
    expect((await stream.finishUtterance()).text).toBe('alpha bravo charlie');
    await asr.close();
  });
});

describe('ThreadedAsr errors', () => {
  it.each([true, false])(
    "keeps the engine's recoverable flag (%s) for an utterance that fails in the worker",
    async (recoverable) => {
      const asr = new ThreadedAsr({ ...failingSpec, options: { recoverable } });
      await asr.init();
      const stream = asr.createStream({ language: 'en' });
      stream.write(new Int16Array(1600).fill(2000));
      const err = await engineErrorOf(() => stream.finishUtterance());
      expect(err.message).toMatch(/this utterance cannot be recognised/);
      expect(err.recoverable).toBe(recoverable);
      await asr.close();
    },
  );

  it('refuses a closed stream for good, a restarting worker only for now', async () => {
    const asr = new ThreadedAsr(fakeSpec);
    await asr.init();
    const stream = asr.createStream({ language: 'en' });
    await asr.crashForTesting();
    const restarting = await engineErrorOf(() => stream.write(new Int16Array(160)));
    expect(restarting.message).toMatch(/restarting/);
    expect(restarting.recoverable).toBe(true);
    stream.close();
    const closed = await engineErrorOf(() => stream.finishUtterance());
    expect(closed.message).toMatch(/finishUtterance\(\) on a closed stream/);
    expect(closed.recoverable).toBe(false);
    await asr.close();
    expect(() => asr.createStream({ language: 'en' })).toThrow(/closed/);
  });

  it('does not hang an init that a close overtakes, and starts again on the next init', async () => {
    const asr = new ThreadedAsr(fakeSpec);
    const first = asr.init();
    await asr.close();
    await expect(first).rejects.toBeInstanceOf(EngineError);
    await asr.init();
    const stream = asr.createStream({ language: 'en' });
    stream.write(new Int16Array(16000).fill(2000));
    expect((await stream.finishUtterance()).text).toBe('alpha bravo charlie');
    await asr.close();
  });
});

describe('ThreadedAsrPool', () => {
  it('spreads streams over its workers and recognises on each', async () => {
    const { ThreadedAsrPool } = await import('./threaded-asr-pool.ts');
    const pool = new ThreadedAsrPool(fakeSpec, 2);
    await pool.init();
    expect(pool.info.description).toMatch(/2 worker threads/);
    const streams = [0, 1, 2].map(() => pool.createStream({ language: 'en' }));
    const results = await Promise.all(
      streams.map((s, i) => {
        s.write(new Int16Array(8000 * (i + 1)).fill(2000));
        return s.finishUtterance();
      }),
    );
    expect(results.map((r) => r.text.split(' ').length)).toEqual([1, 3, 4]);
    for (const s of streams) s.close();
    await pool.close();
  });

  it('fails init when its workers cannot start, and closes cleanly after', async () => {
    const { ThreadedAsrPool } = await import('./threaded-asr-pool.ts');
    const pool = new ThreadedAsrPool({ module: fakeSpec.module, exportName: 'NoSuchEngine' }, 2);
    await expect(pool.init()).rejects.toBeInstanceOf(EngineError);
    await pool.close();
    expect(() => pool.createStream({ language: 'en' })).toThrow(/init\(\) was not called/);
  });
});
