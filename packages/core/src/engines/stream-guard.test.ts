import { describe, expect, it } from 'vitest';
import { EngineError } from './engine.ts';
import { guardedVadStream, StreamGuard } from './stream-guard.ts';

function refusal(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
  throw new Error('expected an EngineError');
}

describe('StreamGuard', () => {
  it('lets work through until close, then refuses it with a non-recoverable EngineError', () => {
    const guard = new StreamGuard('probe');
    guard.assertOpen('write');
    expect(guard.isClosed).toBe(false);
    expect(guard.close()).toBe(true);
    const err = refusal(() => guard.assertOpen('write'));
    expect(err.message).toBe('probe: write() on a closed stream');
    expect(err.recoverable).toBe(false);
  });

  it('reports only the first close, so native state is freed once', () => {
    const guard = new StreamGuard('probe');
    expect([guard.close(), guard.close(), guard.close()]).toEqual([true, false, false]);
    expect(guard.isClosed).toBe(true);
  });
});

describe('guardedVadStream', () => {
  function classifier() {
    const calls = { process: 0, reset: 0, release: 0 };
    const stream = guardedVadStream('probe', 4, {
      process: (frame) => {
        calls.process++;
        return frame[0]! > 0 ? 1 : 0;
      },
      reset: () => {
        calls.reset++;
      },
      release: () => {
        calls.release++;
      },
    });
    return { stream, calls };
  }

  it("passes frames of the engine's size to the classifier and returns its answer", () => {
    const { stream, calls } = classifier();
    expect(stream.process(new Float32Array([0.5, 0, 0, 0]))).toBe(1);
    expect(stream.process(new Float32Array(4))).toBe(0);
    stream.reset();
    expect(calls).toEqual({ process: 2, reset: 1, release: 0 });
  });

  it('refuses a frame of the wrong size without calling the classifier', () => {
    const { stream, calls } = classifier();
    const err = refusal(() => stream.process(new Float32Array(3)));
    expect(err.message).toBe('probe: frame must be 4 samples, got 3');
    expect(err.recoverable).toBe(false);
    expect(calls.process).toBe(0);
  });

  it('releases once however often it is closed, then refuses frames and ignores resets', () => {
    const { stream, calls } = classifier();
    stream.close();
    stream.close();
    expect(() => stream.process(new Float32Array(4))).toThrow(/process\(\) on a closed stream/);
    stream.reset();
    expect(calls).toEqual({ process: 0, reset: 0, release: 1 });
  });
});
