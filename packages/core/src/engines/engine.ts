/**
 * What every engine (VAD, ASR, MT, TTS, codec) has in common. The pipeline asks capabilities,
 * never `instanceof`, so a new engine only has to describe itself honestly.
 */
export type EngineKind = 'vad' | 'asr' | 'mt' | 'tts' | 'codec';

export interface EngineInfo {
  /** Registry name, e.g. "pocketsphinx", "apertium", "fake". */
  id: string;
  kind: EngineKind;
  /** One line for `babelcast doctor` and logs. */
  description: string;
  /** True when it runs on this machine with no network (embedded or self-hosted model). */
  local: boolean;
}

export interface Engine {
  readonly info: EngineInfo;
  /**
   * Load models / start child processes. Resolves when `capabilities` is accurate. Safe to call
   * twice (the second call waits for the first). Rejects with EngineUnavailableError if the engine
   * cannot run here (missing package or model) — the message says what to install or download.
   */
  init(): Promise<void>;
  /** Release everything. Idempotent. */
  close(): Promise<void>;
}

/** The engine cannot run on this machine as configured (missing library, model or binary). */
export class EngineUnavailableError extends Error {
  constructor(
    readonly engineId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${engineId}: ${message}`, options);
    this.name = 'EngineUnavailableError';
  }
}

/**
 * A single operation failed (a child process died, output could not be parsed). `recoverable`
 * tells the pipeline whether retrying later may work; either way the session goes on.
 */
export class EngineError extends Error {
  constructor(
    readonly engineId: string,
    message: string,
    readonly recoverable = true,
    options?: { cause?: unknown },
  ) {
    super(`${engineId}: ${message}`, options);
    this.name = 'EngineError';
  }
}
