/**
 * The closed guard of the per-session objects an engine hands out (recogniser streams, VAD streams,
 * encoders). They do not fit EngineBase: they are created ready to use, close synchronously and
 * never reopen. What they share is this: refuse work after close, and release native state once.
 */
import { EngineError } from './engine.ts';
import type { VadStream } from './vad.ts';

export class StreamGuard {
  private closed = false;

  constructor(private readonly engineId: string) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Refuse `operation` on a closed stream (not recoverable: the stream will not reopen). */
  assertOpen(operation: string): void {
    if (this.closed) throw new EngineError(this.engineId, `${operation}() on a closed stream`, false);
  }

  /** Mark the stream closed. True the first time only, so whoever frees native state does it once. */
  close(): boolean {
    if (this.closed) return false;
    this.closed = true;
    return true;
  }
}

/** One VAD stream's classifier: the engine-specific part of a VadStream. */
export interface VadFrameClassifier {
  /** Speech probability in [0, 1] for a frame already checked to be the engine's frame size. */
  process(frame: Float32Array): number;
  reset(): void;
  /** Free the classifier's state; called once, on the stream's first close. */
  release(): void;
}

/**
 * A VadStream around a classifier that refuses frames of the wrong size (the classifiers read a
 * fixed window and would silently misjudge or overrun) and any frame after close.
 */
export function guardedVadStream(
  engineId: string,
  frameSamples: number,
  classifier: VadFrameClassifier,
): VadStream {
  const guard = new StreamGuard(engineId);
  return {
    process(frame) {
      guard.assertOpen('process');
      if (frame.length !== frameSamples)
        throw new EngineError(engineId, `frame must be ${frameSamples} samples, got ${frame.length}`, false);
      return classifier.process(frame);
    },
    reset() {
      // A closed stream has nothing to reset, and its native state is already freed.
      if (!guard.isClosed) classifier.reset();
    },
    close() {
      if (guard.close()) classifier.release();
    },
  };
}
