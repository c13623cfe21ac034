/**
 * What `EngineError.recoverable` means: a recoverable failure (a child process restarting, a
 * throttled or dropped cloud request) is tried once more after a short backoff; anything else
 * (an unsupported pair, a closed engine, an abort) fails at once. One retry only: a sentence that
 * fails twice is late already, and the session goes on without it.
 */
import { EngineError, type EngineInfo } from './engine.ts';
import type { MtEngine, TranslateRequest } from './mt.ts';
import type { SynthesizeRequest, TtsChunk, TtsEngine } from './tts.ts';

export interface RetryPolicy {
  /** Wait before the retry, ms. */
  backoffMs: number;
  /** Told of each failure that is retried (for a log line or a metric). */
  onRetry?: (err: EngineError) => void;
}

export function isRecoverable(err: unknown): err is EngineError {
  return err instanceof EngineError && err.recoverable;
}

/** `op` again after `policy.backoffMs` if it failed recoverably (and `signal` is not aborted). */
export async function retryRecoverable<T>(
  op: () => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (!isRecoverable(err) || signal?.aborted) throw err;
    policy.onRetry?.(err);
    await sleep(policy.backoffMs, signal);
    return op();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** An engine in front of another: the same name, capabilities and lifecycle. */
abstract class EngineInFront<E extends MtEngine | TtsEngine> {
  constructor(
    protected readonly engine: E,
    protected readonly policy: RetryPolicy,
  ) {}
  /** The engine behind this one (operators' tools and tests reach its own state through it). */
  get inner(): E {
    return this.engine;
  }
  get info(): EngineInfo {
    return this.engine.info;
  }
  get capabilities(): E['capabilities'] {
    return this.engine.capabilities;
  }
  init(): Promise<void> {
    return this.engine.init();
  }
  close(): Promise<void> {
    return this.engine.close();
  }
}

/** An MtEngine whose translations are retried once after a recoverable failure. */
export class RetryingMt extends EngineInFront<MtEngine> implements MtEngine {
  translate(request: TranslateRequest): Promise<string> {
    return retryRecoverable(() => this.engine.translate(request), this.policy, request.signal);
  }
}

/**
 * A TtsEngine whose synthesis is retried once after a recoverable failure, but only before its
 * first chunk: once audio has been handed on, a retry would say the start of the sentence twice.
 */
export class RetryingTts extends EngineInFront<TtsEngine> implements TtsEngine {
  readonly voicesFor?: (language: string) => string[];

  constructor(engine: TtsEngine, policy: RetryPolicy) {
    super(engine, policy);
    if (engine.voicesFor) this.voicesFor = (language) => engine.voicesFor!(language);
  }
  async *synthesize(request: SynthesizeRequest): AsyncIterable<TtsChunk> {
    let yielded = false;
    try {
      for await (const chunk of this.engine.synthesize(request)) {
        yielded = true;
        yield chunk;
      }
      return;
    } catch (err) {
      if (yielded || !isRecoverable(err) || request.signal?.aborted) throw err;
      this.policy.onRetry?.(err);
      await sleep(this.policy.backoffMs, request.signal);
    }
    yield* this.engine.synthesize(request);
  }
}
