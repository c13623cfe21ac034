/**
 * What `EngineError.recoverable` means: a recoverable failure (a child process restarting, a
 * throttled or dropped cloud request) is tried once more after a short backoff; anything else
 * (an unsupported pair, a closed engine, an abort) fails at once. One retry only: a sentence that
 * fails twice is late already, and the session goes on without it.
 */
import { EngineError } from './engine.ts';
import type { MtCapabilities, MtEngine, TranslateRequest } from './mt.ts';
import type { SynthesizeRequest, TtsCapabilities, TtsChunk, TtsEngine } from './tts.ts';

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

/** An MtEngine whose translations are retried once after a recoverable failure. */
export class RetryingMt implements MtEngine {
  constructor(
    private readonly engine: MtEngine,
    private readonly policy: RetryPolicy,
  ) {}
  get info() {
    return this.engine.info;
  }
  get capabilities(): MtCapabilities {
    return this.engine.capabilities;
  }
  init(): Promise<void> {
    return this.engine.init();
  }
  close(): Promise<void> {
    return this.engine.close();
  }
  translate(request: TranslateRequest): Promise<string> {
    return retryRecoverable(() => this.engine.translate(request), this.policy, request.signal);
  }
}

/**
 * A TtsEngine whose synthesis is retried once after a recoverable failure, but only before its
 * first chunk: once audio has been handed on, a retry would say the start of the sentence twice.
 */
export class RetryingTts implements TtsEngine {
  readonly voicesFor?: (language: string) => string[];

  constructor(
    private readonly engine: TtsEngine,
    private readonly policy: RetryPolicy,
  ) {
    if (engine.voicesFor) this.voicesFor = (language) => engine.voicesFor!(language);
  }
  get info() {
    return this.engine.info;
  }
  get capabilities(): TtsCapabilities {
    return this.engine.capabilities;
  }
  init(): Promise<void> {
    return this.engine.init();
  }
  close(): Promise<void> {
    return this.engine.close();
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
